"""`python -m ops frontend-env`: write the frontend's .env.production from `pulumi stack output --json`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ops.commands.support import fail
from ops.exit_codes import EXIT_OK
from ops.frontend_env import FrontendEnvError, Overrides, build_env, parse_outputs, render, write_atomically


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "frontend-env",
        help="write .env.production (VITE_ variables) from the stack's outputs",
        description="Reads `pulumi stack output --json` (a file, or - for stdin) and writes the frontend's "
        "public variables. Refuses, writing nothing, when a value would be a secret.",
    )
    parser.add_argument(
        "--outputs", default="-", help="file with `pulumi stack output --json [--show-secrets]` (default: - for stdin)"
    )
    parser.add_argument(
        "--output", type=Path, default=Path(".env.production"), help="file to write (default: .env.production)"
    )
    parser.add_argument("--app-name", help="VITE_APP_NAME instead of the appName output")
    parser.add_argument("--app-version", help="VITE_APP_VERSION instead of the appVersion output (e.g. a git tag)")
    parser.add_argument("--app-env", help="VITE_APP_ENV instead of the environment output")
    parser.add_argument("--stdout", action="store_true", help="print the file instead of writing it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    source = "standard input" if args.outputs == "-" else args.outputs
    try:
        text = sys.stdin.read() if args.outputs == "-" else Path(args.outputs).read_text()
    except OSError as exc:
        return fail(f"cannot read {source}: {exc.strerror}; pass the file `pulumi stack output --json` wrote")
    try:
        pairs = build_env(
            parse_outputs(text, source),
            Overrides(app_name=args.app_name, app_version=args.app_version, app_env=args.app_env),
        )
        content = render(pairs)
    except FrontendEnvError as exc:
        return fail(str(exc))
    if args.stdout:
        sys.stdout.write(content)
    else:
        write_atomically(args.output, content)
        print(f"wrote {args.output} ({len(pairs)} variables)")
    return EXIT_OK
