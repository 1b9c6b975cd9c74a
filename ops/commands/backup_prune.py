"""`python -m ops backup-prune`: remove the backups' Storage copies no kept backup names (ops/backup/prune.py)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from ops.backup import BackupError
from ops.backup.prune import DEFAULT_GRACE, prune_storage_copies
from ops.commands.support import add_location_arguments, fail, missing_location, s3_client, usage_error
from ops.exit_codes import EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "backup-prune",
        help="remove Storage copies no kept backup names (deleted files, erased accounts)",
        description="Reads every storage-index.json of the stack's backups and deletes the copies under "
        "backups/<stack>/storage/ that none of them names, once older than the grace period. Run it on the "
        "replica bucket too (--bucket <backupReplicaBucket> --region <backupReplicaRegion>): S3 does not "
        "replicate deletions.",
    )
    add_location_arguments(parser)
    parser.add_argument(
        "--grace-days",
        type=float,
        default=DEFAULT_GRACE.days,
        help="leave unnamed copies younger than this (a running backup's index is not written yet; 2)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be pruned, delete nothing")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    problem = missing_location(args)
    if problem or args.grace_days < 1:
        return usage_error(problem or "--grace-days must be at least 1 (a backup may still be copying)")
    try:
        report = prune_storage_copies(
            s3_client(args.endpoint_url, args.region),
            args.bucket,
            args.stack,
            grace=timedelta(days=args.grace_days),
            dry_run=args.dry_run,
        )
    except BackupError as exc:
        return fail(str(exc))
    print(report.line(args.bucket, args.dry_run))
    for key in report.pruned[:20]:
        print(f"  {key}")
    return EXIT_OK
