"""Argument parsing for the operator CLI. Each command lives in its own module under ops/commands.

Exit codes, for every command: 0 done (or nothing to do), 1 refused or failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ops.commands import COMMAND_MODULES


def build_parser(prog: str = "python -m ops") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=__doc__)
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
