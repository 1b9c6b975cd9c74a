"""`python -m ops verify-backup`: the scheduled drill. Restores a backup into a scratch database and
compares it with the manifest; exits 1 on any difference, on a bad checksum, or on a backup too old."""

from __future__ import annotations

import argparse
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.backup import BackupError, resolve_backup
from ops.backup.layout import STAMP_FORMAT
from ops.backup.restore import compare_with_manifest, fetch_verified, restore_database
from ops.backup.scratch import scratch_database
from ops.backup.storage import check_index_belongs, read_index, verify_copies
from ops.commands.support import (
    add_location_arguments,
    fail,
    missing_location,
    pg_client,
    s3_client,
    terminate_as_interrupt,
    usage_error,
)
from ops.exit_codes import EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "verify-backup",
        help="restore a backup into a scratch database and compare it with its manifest",
        description="Without --scratch-url a throwaway embedded PostgreSQL prepared like Supabase is used.",
    )
    add_location_arguments(parser)
    parser.add_argument("--backup", default="latest", help="backup timestamp (default: the newest complete one)")
    parser.add_argument(
        "--scratch-url",
        default=os.environ.get("SCRATCH_DATABASE_URL"),
        help="an empty database prepared like Supabase to restore into (default: a throwaway embedded one)",
    )
    parser.add_argument(
        "--max-age-hours",
        type=float,
        default=None,
        help="also fail when the backup is older than this (the recovery point objective)",
    )
    parser.add_argument(
        "--skip-storage",
        action="store_true",
        help="do not read the backup's storage copies back (by default each is checked)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    problem = missing_location(args)
    if problem:
        return usage_error(problem)
    s3 = s3_client(args.endpoint_url, args.region)
    try:
        with terminate_as_interrupt(), tempfile.TemporaryDirectory(prefix="ops-verify-") as work:
            location = resolve_backup(s3, args.bucket, args.stack, args.backup)
            age_hours = (
                datetime.now(UTC) - datetime.strptime(location.stamp, STAMP_FORMAT).replace(tzinfo=UTC)
            ).total_seconds() / 3600
            if args.max_age_hours is not None and age_hours > args.max_age_hours:
                return fail(
                    f"the backup {location.stamp} is {age_hours:.1f} hours old, over the "
                    f"{args.max_age_hours:g}-hour limit: check the scheduled backup job"
                )
            fetched = fetch_verified(s3, location, Path(work))
            with scratch_database(args.scratch_url) as scratch_url:
                restore_database(fetched, scratch_url, pg_client(args), clean=False)
                problems = compare_with_manifest(scratch_url, fetched.manifest)
            storage = fetched.manifest.storage
            if storage is not None and not args.skip_storage:
                where = f"s3://{args.bucket}/{storage.index_key}"
                index = read_index(s3, args.bucket, storage.index_key)
                check_index_belongs(index, args.stack, source=where)
                if len(index) != storage.objects:
                    problems.append(f"{where} lists {len(index)} objects, the manifest says {storage.objects}")
                problems += verify_copies(index, s3, args.bucket)
    except BackupError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted; the drill did not finish")
    except (BotoCoreError, ClientError) as exc:
        return fail(f"S3 refused or could not be reached ({exc}); check --bucket, --endpoint-url and credentials")
    if problems:
        return fail(f"backup {location.stamp} does not restore to what its manifest says:\n  " + "\n  ".join(problems))
    manifest = fetched.manifest
    storage_note = ""
    if manifest.storage is not None and not args.skip_storage:
        storage_note = f"; {manifest.storage.objects} storage objects read back intact"
    print(
        f"backup {location.stamp} verified: checksum, newest migration "
        f"{manifest.newest_migration or 'none'} and {len(manifest.row_counts)} tables' row counts match "
        f"({age_hours:.1f} hours old){storage_note}"
    )
    return EXIT_OK
