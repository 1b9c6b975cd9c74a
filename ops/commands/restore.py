"""`python -m ops restore`: a backup (the newest, or a named one) into a target database, checked both ways."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.backup import BackupError, resolve_backup
from ops.backup.layout import BackupLocation
from ops.backup.manifest import Manifest
from ops.backup.restore import compare_with_manifest, fetch_verified, load_manifest, restore_database
from ops.backup.storage import check_index_belongs, copy_from_backup, read_index
from ops.backup.table_restore import restore_tables
from ops.commands.support import (
    add_location_arguments,
    fail,
    missing_location,
    pg_client,
    s3_client,
    storage_store,
    terminate_as_interrupt,
    usage_error,
)
from ops.exit_codes import EXIT_OK


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "restore",
        help="restore a backup (or some tables of it) into a database",
        description="Verifies the dump's SHA-256 before restoring anything, then checks the newest migration "
        "and row counts against the manifest. With --table, replaces only that table's rows.",
    )
    add_location_arguments(parser)
    parser.add_argument(
        "--target-url",
        default=os.environ.get("RESTORE_TARGET_URL"),
        help="database to restore into (default: $RESTORE_TARGET_URL); never implied",
    )
    parser.add_argument("--backup", default="latest", help="backup timestamp (default: the newest complete one)")
    parser.add_argument(
        "--table",
        action="append",
        default=[],
        help="restore only this table's rows (schema.table, repeatable, parents first)",
    )
    parser.add_argument(
        "--only-missing",
        action="store_true",
        help="with --table: put back rows missing from the table, keep every other row",
    )
    parser.add_argument(
        "--clean",
        action="store_true",
        help="full restore over existing objects: drop and recreate what the backup holds",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="where the dump is downloaded for checking (default: a temp folder)"
    )
    parser.add_argument(
        "--storage-endpoint-url",
        default=None,
        help="also put the backup's storage objects back into this S3 endpoint "
        "(keys from $STORAGE_S3_ACCESS_KEY_ID / $STORAGE_S3_SECRET_ACCESS_KEY)",
    )
    parser.add_argument("--storage-region", default=os.environ.get("STORAGE_S3_REGION"))
    parser.add_argument(
        "--storage-only",
        action="store_true",
        help="put back only the storage objects (with --storage-endpoint-url); no database",
    )
    parser.set_defaults(run=run, storage_bucket=[])


def run(args: argparse.Namespace) -> int:
    problem = missing_location(args)
    if not problem and args.storage_only and not args.storage_endpoint_url:
        problem = "--storage-only needs --storage-endpoint-url"
    if not problem and not args.target_url and not args.storage_only:
        problem = "--target-url is required"
    if not problem and args.only_missing and not args.table:
        problem = "--only-missing applies to --table restores only"
    if not problem and args.clean and args.table:
        problem = "--clean applies to full restores only; --table already replaces just that table's rows"
    if problem:
        return usage_error(problem)
    s3 = s3_client(args.endpoint_url, args.region)
    try:
        with terminate_as_interrupt():
            location = resolve_backup(s3, args.bucket, args.stack, args.backup)
            manifest = load_manifest(s3, location)
            problems = [] if args.storage_only else _restore_database(args, s3, location)
            if args.storage_endpoint_url:
                _restore_storage(args, s3, manifest)
    except BackupError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted; a database restore runs in one transaction and was rolled back")
    except (BotoCoreError, ClientError) as exc:
        return fail(f"S3 refused or could not be reached ({exc}); check --bucket, --endpoint-url and credentials")
    if problems:
        return fail("restored, but the result differs from the backup's manifest:\n  " + "\n  ".join(problems))
    if not args.storage_only:
        print("restore checked against the manifest: migration version and row counts match")
    return EXIT_OK


def _restore_database(args: argparse.Namespace, s3: Any, location: BackupLocation) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="ops-restore-", dir=args.work_dir) as work:
        fetched = fetch_verified(s3, location, Path(work))
        print(f"backup {location.stamp}: checksum verified ({fetched.manifest.size_bytes} bytes)")
        if not args.table:
            restore_database(fetched, args.target_url, pg_client(args), clean=args.clean)
            return compare_with_manifest(args.target_url, fetched.manifest)
        for report in restore_tables(
            fetched.dump, fetched.manifest, args.target_url, pg_client(args), args.table, only_missing=args.only_missing
        ):
            print(
                f"{report.table}: {report.inserted} inserted, {report.updated} updated, "
                f"{report.deleted} deleted ({report.rows_in_backup} rows in the backup)"
            )
        if args.only_missing:  # newer rows were kept on purpose: counts may exceed the backup's
            return []
        return compare_with_manifest(args.target_url, fetched.manifest, [_qualify(t) for t in args.table])


def _restore_storage(args: argparse.Namespace, s3: Any, manifest: Manifest) -> None:
    if manifest.storage is None:
        print("storage: this backup holds no storage objects (it was made without --storage-endpoint-url)")
        return
    target = storage_store(args)
    assert target is not None
    index = read_index(s3, args.bucket, manifest.storage.index_key)
    check_index_belongs(index, manifest.stack, source=f"s3://{args.bucket}/{manifest.storage.index_key}")
    print(f"storage: {copy_from_backup(index, s3, args.bucket, target)} objects put back ({len(index)} in the backup)")


def _qualify(table: str) -> str:
    return table if "." in table else f"public.{table}"
