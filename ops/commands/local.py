"""`python -m ops local-db ...` and `python -m ops local-up`: the local stack on a machine with no accounts.

local-db runs the embedded PostgreSQL on loopback at the port of the local stack's `database.localUrl`
(Pulumi.local.yaml, the one place that sets it; 54322 by default), prepared like a Supabase database. local-up
deploys the local stack into it: through the real Pulumi engine when there is a CLI (`make install` builds one
into .tools/bin when Go is there), with a file backend and the passphrase secrets provider under .local/pulumi
and Pulumi's own output; without one, engine-less (the program under mocks, its dynamic resources through
Pulumi's real provider host, state in .local/state).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import yaml

from ops.commands.support import fail
from ops.exit_codes import EXIT_FAILED, EXIT_OK
from ops.localdb import LocalDatabase, LocalDatabaseError, PortTakenError
from stackconfig.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from ops.engine import PulumiCli
    from ops.engine.plain import PlainCli

LOCAL_DIR = PROJECT_ROOT / ".local"
LOCAL_STACK_FILE = PROJECT_ROOT / "Pulumi.local.yaml"
DEFAULT_PORT = 5432


def local_port(stack_file: Path = LOCAL_STACK_FILE) -> int:
    """The port in the local stack's database.localUrl: the program connects there, so the server listens there."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    url = (config.get("ai-platform:database") or {}).get("localUrl")
    if not url:
        raise LocalDatabaseError(f"{stack_file.name}: ai-platform:database.localUrl is not set")
    parts = urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        raise LocalDatabaseError(
            f"{stack_file.name}: database.localUrl points at {parts.hostname}; the embedded server listens on "
            "127.0.0.1 only, so use postgresql://postgres@127.0.0.1:<port>/postgres"
        )
    return parts.port or DEFAULT_PORT


def local_database() -> LocalDatabase:
    return LocalDatabase(LOCAL_DIR / "postgres", local_port())


def _port_taken_message(exc: PortTakenError) -> str:
    return (
        f"{exc}. If that is `supabase start`'s database, stop it (`supabase stop`) or give the local stack "
        "another port: edit database.localUrl in Pulumi.local.yaml, e.g. "
        f"postgresql://postgres@127.0.0.1:{exc.port + 10}/postgres "
        "(`python -m ops local-db` and the program both read it), then run `make local` again"
    )


def register(commands: argparse._SubParsersAction) -> None:
    db = commands.add_parser("local-db", help="start, stop or reset the embedded PostgreSQL of the local stack")
    db.add_argument("action", choices=["start", "stop", "status", "reset"])
    db.set_defaults(run=run_local_db)

    up = commands.add_parser("local-up", help="deploy the local stack (through the Pulumi engine when there is a CLI)")
    up.add_argument("--stack", default="local")
    up.add_argument("--preview", action="store_true", help="show what would change, change nothing")
    up.add_argument("--engineless", action="store_true", help="deploy without the Pulumi engine even if a CLI exists")
    up.set_defaults(run=run_local_up)


def run_local_db(args: argparse.Namespace) -> int:
    database = local_database()
    try:
        if args.action == "reset":
            database.destroy()
        if args.action in ("start", "reset"):
            if database.is_initialized():
                database.start()
                database.smoke_check()
            else:
                database.init()  # ends with the smoke check
            print(f"PostgreSQL is running: {database.tcp_url()} (vector smoke check passed)")
        elif args.action == "stop":
            database.stop()
            print("PostgreSQL stopped")
        else:
            running = database.is_initialized() and database.is_running()
            print(f"PostgreSQL is {'running: ' + database.tcp_url() if running else 'not running'}")
            return 0 if running else 1
    except PortTakenError as exc:
        return fail(_port_taken_message(exc))
    except LocalDatabaseError as exc:
        return fail(str(exc))
    return EXIT_OK


def run_local_up(args: argparse.Namespace) -> int:
    from ops.engine import find_cli
    from ops.engine.plain import language_host

    cli = None if args.engineless else find_cli()
    if cli is not None and language_host(cli) is not None:
        return _plain_up(args, cli)
    if cli is not None:
        return _engine_up(args, cli)
    from ops.engine.cli import missing_reason
    from ops.engineless.deploy import deploy

    if not args.engineless:
        print(f"local-up: {missing_reason()}; deploying without the engine", file=sys.stderr)

    try:
        report = deploy(args.stack, LOCAL_DIR / "state" / f"{args.stack}.json", preview=args.preview)
    except Exception as exc:  # the program's own message (config, SQL, connection) is the useful part
        return fail(str(exc))
    for step in report.steps:
        print(f"{step.action:>7}  {step.urn.rsplit('::', 1)[-1]}")
    if report.run is not None:
        for name, value in sorted(report.run.outputs.items()):
            shown = "[secret]" if name in report.run.secret_outputs else value
            print(f"output  {name}: {shown}")
    print("no changes" if not report.changed else ("preview only, nothing changed" if args.preview else "done"))
    return EXIT_OK


def _engine_up(args: argparse.Namespace, cli: PulumiCli) -> int:
    """`pulumi up` (or `preview`) of the stack through the engine, printing Pulumi's own output."""
    from pulumi import automation as auto

    from ops.engine import EngineSettings, open_stack

    state_dir = LOCAL_DIR / "pulumi"
    settings = EngineSettings(cli=cli, state_dir=state_dir, passphrase=_passphrase(state_dir))
    print(f"local-up: Pulumi {cli.version} ({cli.executable}), state in {state_dir.relative_to(PROJECT_ROOT)}")
    try:
        stack = open_stack(args.stack, settings)
        if args.preview:
            stack.preview(on_output=print, diff=True)
        else:
            stack.up(on_output=print)
    except auto.CommandError as exc:
        # The command's result, its standard error included (a locked stack, an unreadable checkpoint): the reason.
        print(f"local-up: pulumi failed:\n{exc}", file=sys.stderr)
        print(RECOVERY_HINT.format(stack=args.stack), file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


RECOVERY_HINT = (
    "local-up: if an earlier run was killed, `python -m ops recover-stack --stack {stack}` says what it left "
    "behind and, with --apply, backs up the state and recovers it (docs/runbooks.md)"
)


def local_plain_cli(cli: PulumiCli, stack: str = "local") -> PlainCli:
    """The plain CLI on the local stack's state (.local/pulumi, shared with the Automation API path)."""
    from ops.engine.plain import PlainCli
    from ops.engine.workspace import prepare_work_dir

    state_dir = LOCAL_DIR / "pulumi"
    _passphrase(state_dir)  # made once per checkout, unless PULUMI_CONFIG_PASSPHRASE is set (then that one)
    passphrase_file = None if os.environ.get("PULUMI_CONFIG_PASSPHRASE") else state_dir / "passphrase"
    work = prepare_work_dir(stack, state_dir, {})
    return PlainCli(
        cli=cli,
        backend_url=(state_dir / "backend").as_uri(),
        passphrase_file=passphrase_file,
        config_file=work / f"Pulumi.{stack}.yaml",
    )


def _plain_up(args: argparse.Namespace, cli: PulumiCli) -> int:
    """`pulumi up --stack local` (or `preview --diff`) as an operator types it, Pulumi's output as it prints it."""
    from ops.engine.plain import ensure_stack

    plain = local_plain_cli(cli, args.stack)
    assert plain.config_file is not None
    work = plain.config_file.parent
    (LOCAL_DIR / "pulumi" / "env.sh").write_text(plain.shell_exports())
    print(
        f"local-up: Pulumi {cli.version} ({cli.executable}), state in .local/pulumi; the same commands by hand: "
        f". .local/pulumi/env.sh, then pulumi preview --stack {args.stack} --config-file "
        f"{plain.config_file.relative_to(PROJECT_ROOT)}",
        flush=True,
    )
    selected = ensure_stack(plain, args.stack, work)
    if selected.returncode != 0:
        print(f"local-up: pulumi failed:\n{selected.stderr.strip()}", file=sys.stderr)
        print(RECOVERY_HINT.format(stack=args.stack), file=sys.stderr)
        return EXIT_FAILED
    command = ["preview", "--diff"] if args.preview else ["up", "--yes"]
    if plain.run(*command, stack=args.stack, config=True).returncode != 0:
        print(RECOVERY_HINT.format(stack=args.stack), file=sys.stderr)  # Pulumi printed its own message above
        return EXIT_FAILED
    return EXIT_OK


def _passphrase(state_dir: Path) -> str:
    """PULUMI_CONFIG_PASSPHRASE when set; else one made for this checkout, kept in .local (mode 0600)."""
    if os.environ.get("PULUMI_CONFIG_PASSPHRASE"):
        return os.environ["PULUMI_CONFIG_PASSPHRASE"]
    path = state_dir / "passphrase"
    if not path.exists():
        state_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(24))
    return path.read_text().strip()
