"""`python -m ops archive run`: documents unopened for the stack's retention.archiveAfterDays to the archive bucket,
and those opened since back to Storage (docs/data.md, "Archival")."""

from __future__ import annotations

import argparse
from typing import Any

import psycopg
from pydantic import ValidationError

from ops.commands.lifecycle_support import (
    add_database_argument,
    add_metrics_arguments,
    archive_from_env,
    failed,
    publish,
)
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.lifecycle.archive import DEFAULT_BATCH_SIZE, DEFAULT_MIN_BYTES, run_archival
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.metrics import ARCHIVAL_METRICS
from ops.lifecycle.storage_api import StorageApi
from stackconfig.errors import ConfigError
from stackconfig.retention import RetentionConfig
from stackconfig.stack_section import stack_section


def register(subparsers: Any) -> None:
    archive = subparsers.add_parser("archive", help="move unopened documents to the archive bucket and back")
    commands = archive.add_subparsers(dest="archive_command", required=True, metavar="COMMAND")
    parser = commands.add_parser(
        "run",
        help="one archival pass: discard, restore what was opened, archive what was not",
        description="Removes the archived copies of deleted documents, brings back to Storage the archived "
        "documents opened since (public.open_document), and moves documents unopened for the stack's "
        "retention.archiveAfterDays to the archive bucket (S3 Glacier Instant Retrieval). Storage through "
        "$SUPABASE_URL and $SUPABASE_SERVICE_ROLE_KEY; the bucket through --archive-bucket or $ARCHIVE_BUCKET "
        "and AWS credentials. Safe to rerun: a pass killed anywhere is finished by the next.",
    )
    add_database_argument(parser)
    parser.add_argument("--archive-bucket", help="the stack output archiveBucket (default: $ARCHIVE_BUCKET)")
    parser.add_argument(
        "--after-days",
        type=int,
        help="archive documents unopened this long (default: the stack's retention.archiveAfterDays; needs --stack)",
    )
    parser.add_argument(
        "--restore-only", action="store_true", help="only bring back what was opened (the frequent pass)"
    )
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="documents claimed at a time")
    parser.add_argument(
        "--min-bytes",
        type=int,
        default=DEFAULT_MIN_BYTES,
        help="leave smaller files in Storage (Glacier IR bills at least 128 KiB per object; 131072)",
    )
    add_metrics_arguments(parser)
    parser.set_defaults(run=run)


def after_days(args: argparse.Namespace) -> int | None:
    """--after-days, else the stack file's retention.archiveAfterDays over Pulumi.yaml's default."""
    if args.after_days is not None:
        return int(args.after_days)
    if not args.stack:
        raise LifecycleError("give --after-days, or --stack to read retention.archiveAfterDays from its stack file")
    try:
        retention = RetentionConfig.model_validate(stack_section(args.stack, "retention"))
    except (ConfigError, ValidationError) as exc:
        raise LifecycleError(f"the {args.stack} stack's retention section is not valid: {exc}") from None
    return retention.archive_after_days


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("archive run: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    if args.after_days is not None and args.after_days < 90:
        print("archive run: --after-days must be at least 90 (Glacier Instant Retrieval bills 90 days per object)")
        return EXIT_USAGE
    try:
        days = after_days(args)
        if days is None:
            print(f"archive run: the {args.stack} stack archives nothing (retention.archiveAfterDays is null)")
            return EXIT_OK
        archive = archive_from_env(args.archive_bucket)
        if archive is None:
            raise LifecycleError("give --archive-bucket or set ARCHIVE_BUCKET (the stack output archiveBucket)")
        report = run_archival(
            args.database_url,
            StorageApi.from_env(),
            archive,
            after_days=days,
            batch_size=args.batch_size,
            restore_only=args.restore_only,
            min_bytes=args.min_bytes,
        )
        for line in report.lines():
            print(line)
        publish(args, report.counts(), ARCHIVAL_METRICS)
    except LifecycleError as exc:
        return failed("archive run", str(exc))
    except psycopg.Error as exc:
        return failed("archive run", f"the database failed ({type(exc).__name__}); rerun it, it resumes")
    return EXIT_OK
