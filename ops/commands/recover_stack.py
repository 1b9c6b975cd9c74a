"""`python -m ops recover-stack`: a stack after a killed `pulumi up`, diagnosed and (with --apply) recovered.

Without --apply it only reads and says what it found and what --apply would run. With --apply, on a file
backend it first copies the stack's checkpoint files and locks to <backend>/recovery-backups/<UTC time>, then:
removes broken attributes files (`failed to load checkpoint: EOF`), runs `pulumi cancel` when a stale lock is
left (never while the process that took it still runs on this host), and `pulumi refresh
--clear-pending-creates` when operations are pending. Any other backend (Pulumi Cloud, S3) gets the two CLI
steps after a `pulumi stack export` to the backup folder. docs/runbooks.md walks through the same by hand.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ops.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from ops.engine import PulumiCli
    from ops.engine.plain import PlainCli

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "recover-stack", help="diagnose (and with --apply recover) a stack after a killed `pulumi up`",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--stack", required=True)
    parser.add_argument(
        "--backend-url",
        default=None,
        help="default: $PULUMI_BACKEND_URL; for the local stack, make local's .local/pulumi/backend",
    )
    parser.add_argument(
        "--config-file",
        type=Path,
        default=None,
        help="the stack's config file, when not Pulumi.<stack>.yaml (the local stack's is found)",
    )
    parser.add_argument("--apply", action="store_true", help="back up the state, then recover it")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ops.engine import find_cli
    from ops.engine.cli import missing_reason
    from ops.engine.recovery import back_up, backend_dir, backup_folder, diagnose

    cli = find_cli()
    if cli is None:
        print(f"recover-stack: {missing_reason()}", file=sys.stderr)
        return EXIT_FAILED
    plain = _plain_cli(cli, args)
    if plain is None:
        print(
            "recover-stack: give --backend-url or set PULUMI_BACKEND_URL (where the stack's state is)", file=sys.stderr
        )
        return EXIT_USAGE
    root = backend_dir(plain.backend_url)
    if root is None:  # Pulumi Cloud, S3, ...: the lock and the pending operations are the CLI's to clear
        return _export_then_cli_steps(plain, args)

    project = str((yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text()) or {}).get("name"))
    diagnosis = diagnose(root, project, args.stack)
    if diagnosis.checkpoint is None:
        print(f"recover-stack: no stack {args.stack} of project {project} in {root}", file=sys.stderr)
        return EXIT_FAILED
    for line in diagnosis.lines():
        print(f"found: {line}")
    if diagnosis.healthy:
        print(f"stack {args.stack}: nothing to recover (no lock, no pending operation, every file readable)")
        return EXIT_OK
    running = [lock for lock in diagnosis.locks if lock.held_by_a_running_process]
    if running:
        print(
            f"recover-stack: pid {running[0].pid} still runs a Pulumi command on this stack: wait for it to end "
            "(or stop it), then run this again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if diagnosis.unreadable_checkpoint:
        print(
            f"recover-stack: the checkpoint itself is damaged; put back {diagnosis.checkpoint.name}.bak by hand "
            "(docs/runbooks.md, 'A killed pulumi up')",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.apply:
        into = backup_folder(root)
        copied = back_up(root, project, args.stack, into)
        print(f"backed up {len(copied)} file(s) of the stack's state to {into}")
    for path in diagnosis.broken_attributes:
        if args.apply:
            path.unlink()
            print(f"removed {path.name} (an empty attributes file; Pulumi writes it again with the next checkpoint)")
        else:
            print(f"would remove {path.name}")
    return _cli_steps(plain, args, lock=bool(diagnosis.locks), pending=bool(diagnosis.pending))


def _export_then_cli_steps(plain: PlainCli, args: argparse.Namespace) -> int:
    backup = PROJECT_ROOT / ".local" / "recovery-backups" / f"{args.stack}-export.json"
    if args.apply:
        backup.parent.mkdir(parents=True, exist_ok=True)
        exported = plain.run("stack", "export", "--file", str(backup), stack=args.stack, capture=True)
        if exported.returncode != 0:
            print(
                f"recover-stack: `pulumi stack export` failed, nothing changed:\n{exported.stderr.strip()}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        print(f"backed up the stack's state to {backup}")
    return _cli_steps(plain, args, lock=True, pending=True)


def _cli_steps(plain: PlainCli, args: argparse.Namespace, *, lock: bool, pending: bool) -> int:
    steps: list[tuple[list[str], bool]] = []
    if lock:
        steps.append((["cancel", "--yes"], False))
    if pending:  # our providers adopt what a killed create made, so clearing its record is safe
        steps.append((["refresh", "--clear-pending-creates", "--yes", "--skip-preview"], True))
    for command, config in steps:
        shown = " ".join(["pulumi", *command, "--stack", args.stack])
        if not args.apply:
            print(f"would run: {shown}")
            continue
        print(f"running: {shown}", flush=True)
        if plain.run(*command, stack=args.stack, config=config).returncode != 0:
            print(
                f"recover-stack: `{shown}` failed (its message is above); the state as it was is backed up",
                file=sys.stderr,
            )
            return EXIT_FAILED
    if args.apply:
        print(
            f"stack {args.stack} recovered: run `pulumi up --stack {args.stack}` again (it adopts what the "
            "killed run had already created)"
        )
    else:
        print("run again with --apply to back up the state and do the above")
    return EXIT_OK


def _plain_cli(cli: PulumiCli, args: argparse.Namespace) -> PlainCli | None:
    from ops.engine.plain import PlainCli

    backend_url = args.backend_url or os.environ.get("PULUMI_BACKEND_URL")
    if args.stack == "local" and not backend_url:
        from ops.commands.local import local_plain_cli

        local = local_plain_cli(cli)
        return local if args.config_file is None else dataclasses.replace(local, config_file=args.config_file)
    if not backend_url:
        return None
    return PlainCli(cli=cli, backend_url=backend_url, config_file=args.config_file)
