"""Argument parsing for the operator CLI; each command lives in its own module under ops/commands."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ops.commands import COMMAND_MODULES

DESCRIPTION = """\
The operator's tool for the AI platform's stacks: the work that runs outside `pulumi up`.
Apply migrations by hand, run the local stack's PostgreSQL and deploy the local stack, back up a
stack's database and storage to S3 and restore it (or single tables, or a point in time), write the
frontend's .env.production from the stack's outputs and publish its build, check a deployed site, and
scrape the database's metrics into CloudWatch. docs/runbooks.md says when to use which."""

EPILOG = """\
exit codes: 0 done (or nothing to do), 1 refused or failed, 2 usage error.
Errors are printed on standard error as `error: ...` or `usage error: ...`, naming the fix.
`COMMAND --help` describes each command's options."""


def build_parser(prog: str = "python -m ops") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(f"ops.commands.{module_name}").register(commands)
    return parser


def main(argv: list[str], prog: str = "python -m ops") -> int:
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    return int(args.run(args))


def console_main() -> None:
    """The `ops` command `make install` puts in .venv/bin (pyproject.toml's [project.scripts])."""
    sys.exit(main(sys.argv[1:], prog="ops"))
