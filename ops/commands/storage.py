"""`python -m ops storage sweep`: Storage brought back in step with the rows (docs/data.md)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

import psycopg

from ops.commands.lifecycle_support import add_database_argument, add_metrics_arguments, failed, publish
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.metrics import SWEEP_METRICS
from ops.lifecycle.queue import DEFAULT_BATCH_SIZE
from ops.lifecycle.storage_api import StorageApi
from ops.lifecycle.sweep import DEFAULT_FAILED_GRACE, DEFAULT_GRACE, sweep


def register(subparsers: Any) -> None:
    storage = subparsers.add_parser("storage", help="Storage housekeeping (the sweep)")
    commands = storage.add_subparsers(dest="storage_command", required=True, metavar="COMMAND")
    parser = commands.add_parser(
        "sweep",
        help="remove objects no row owns, and documents that failed or were never confirmed",
        description="Removes, through Storage's API ($SUPABASE_URL, $SUPABASE_SERVICE_ROLE_KEY), what no row "
        "owns in every bucket and the documents past their grace periods; --dry-run only reports.",
    )
    add_database_argument(parser)
    parser.add_argument("--dry-run", action="store_true", help="report what would be removed, change nothing")
    parser.add_argument(
        "--grace-hours",
        type=float,
        default=DEFAULT_GRACE.total_seconds() / 3600,
        help="how old an orphan, a row without its file or an unconfirmed upload must be (24)",
    )
    parser.add_argument(
        "--failed-grace-days",
        type=float,
        default=DEFAULT_FAILED_GRACE.days,
        help="how long a failed document stays for the user to see (7)",
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="names per page and per call")
    parser.add_argument("--bucket", action="append", dest="buckets", help="only this bucket (repeatable)")
    add_metrics_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("storage sweep: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    if args.grace_hours < 1 or args.failed_grace_days < 1 or not 1 <= args.batch_size <= 10000:
        print(
            "storage sweep: --grace-hours and --failed-grace-days must be at least 1 and --batch-size 1-10000 "
            "(a shorter grace would remove uploads still in progress)"
        )
        return EXIT_USAGE
    try:
        storage = None if args.dry_run else StorageApi.from_env()
        report = sweep(
            args.database_url,
            storage,
            dry_run=args.dry_run,
            grace=timedelta(hours=args.grace_hours),
            failed_grace=timedelta(days=args.failed_grace_days),
            batch_size=args.batch_size,
            buckets=args.buckets,
        )
        for line in report.lines():
            print(line)
        if not args.dry_run:
            publish(args, report.counts(), SWEEP_METRICS)
    except LifecycleError as exc:
        return failed("storage sweep", str(exc))
    except psycopg.Error as exc:
        return failed(
            "storage sweep",
            f"the database failed the sweep ({type(exc).__name__}: "
            f"{exc.diag.message_primary or 'no connection'}); rerun it, it resumes",
        )
    return EXIT_OK
