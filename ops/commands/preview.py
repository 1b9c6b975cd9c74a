"""`python -m ops preview up|down|list|sweep`: a pull request's preview environment, as the preview-env workflow
runs it (docs/previews.md).

up --pr N       bring the stack pr-<N> up from Pulumi.preview.yaml (a Supabase branch of staging); prints its
                outputs and cost, and writes the pull-request comment with --comment-file
down --pr N     delete the branch and drop the stack, from the stack's state alone (the program is not run)
list            the parent's open previews: name, ref, age, cost so far
sweep           take down previews whose pull request is not among --open-prs, and those past maxAgeHours

Needs PULUMI_BACKEND_URL (where the stacks' state is), PULUMI_CONFIG_PASSPHRASE (or _FILE), and
SUPABASE_ACCESS_TOKEN; up takes its test-mode secrets from PREVIEW_SECRET_<NAME> variables.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ops.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from stackconfig.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from ops.preview.workspace import PreviewEngine


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "preview", help="a pull request's preview environment: up, down (from state), list, sweep",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("action", choices=("up", "down", "list", "sweep"))
    parser.add_argument("--pr", type=int, help="the pull request's number (up, down)")
    parser.add_argument("--git-branch", default=None, help="up: the pull request's head branch")
    parser.add_argument("--comment-file", type=Path, default=None, help="up: write the pull-request comment here")
    parser.add_argument("--open-prs", default="", help="sweep: the open pull requests' numbers, space-separated")
    parser.add_argument("--dry-run", action="store_true", help="sweep: say what would be taken down")
    parser.add_argument(
        "--break-lock", action="store_true",
        help="clear a lock a cancelled run left first (the workflow passes it: it serialises each PR's runs)",
    )  # fmt: skip
    parser.add_argument("--template", type=Path, default=PROJECT_ROOT / "Pulumi.preview.yaml")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / ".local" / "previews")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ops.preview import lifecycle
    from ops.preview.stackfile import PreviewError, preview_secrets
    from providers.supabase.errors import SupabaseError

    if args.action in ("up", "down") and args.pr is None:
        print(f"usage error: preview {args.action} needs --pr N", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.action == "list":
            for preview in lifecycle.open_previews(args.template):
                print(f"{preview.name}\t{preview.ref}\t{preview.status}\t{preview.age_hours:.1f} h")
            return EXIT_OK
        engine = _engine(args)
        if engine is None:
            return EXIT_FAILED
        if args.action == "up":
            from ops.preview.comment import comment

            brought_up = lifecycle.up(
                engine, args.pr, git_branch=args.git_branch, secrets={"functionSecrets": preview_secrets(os.environ)},
                template=args.template, break_lock=args.break_lock, on_output=print,
            )  # fmt: skip
            text = comment(brought_up, args.pr)
            if args.comment_file:
                args.comment_file.write_text(text)
            print(text)
        elif args.action == "down":
            for line in lifecycle.down(engine, args.pr, template=args.template, break_lock=args.break_lock):
                print(line)
        else:
            open_prs = {int(number) for number in args.open_prs.split()}
            swept, failed = lifecycle.sweep(engine, open_prs, template=args.template, dry_run=args.dry_run)
            for line in swept:
                print(line)
            for line in failed:
                print(f"error: {line}", file=sys.stderr)
            if failed:
                return EXIT_FAILED
    except (PreviewError, SupabaseError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _engine(args: argparse.Namespace) -> PreviewEngine | None:
    from ops.engine import find_cli
    from ops.engine.cli import missing_reason

    cli = find_cli()
    backend = os.environ.get("PULUMI_BACKEND_URL")
    if cli is None or not backend:
        print(f"error: {missing_reason() if cli is None else 'set PULUMI_BACKEND_URL (where the stacks are)'}",
              file=sys.stderr)  # fmt: skip
        return None
    from ops.preview.workspace import PreviewEngine

    return PreviewEngine(cli=cli, backend_url=backend, work_root=args.work_dir)
