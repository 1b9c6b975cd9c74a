"""`python -m ops retention run`: one pass of the retention job by hand, for databases without pg_cron (the local
stack) or to catch up at once; the periods are the stack's, in private.retention_policies (docs/data.md)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import psycopg

from ops.commands.lifecycle_support import add_database_argument, failed
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.lifecycle.rows import one_row


def register(subparsers: Any) -> None:
    retention = subparsers.add_parser("retention", help="remove rows past their retention period")
    commands = retention.add_subparsers(dest="retention_command", required=True, metavar="COMMAND")
    run_parser = commands.add_parser("run", help="one pass of private.enforce_retention, as the daily job runs it")
    add_database_argument(run_parser)
    run_parser.add_argument("--dry-run", action="store_true", help="print the periods and change nothing")
    run_parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("retention run: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    try:
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            if args.dry_run:
                for table, days in conn.execute(
                    "select table_name, keep_days from private.retention_policies order by table_name"
                ):
                    print(f"{table}: {'kept until its owner deletes it' if days is None else f'{days} days'}")
                return EXIT_OK
            removed = one_row(conn.execute("select private.enforce_retention()"), "the retention pass")[0]
    except psycopg.Error as exc:
        return failed("retention run", f"the database failed the pass ({type(exc).__name__}); rerun it")
    print(json.dumps(removed, sort_keys=True))
    return EXIT_OK
