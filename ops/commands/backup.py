"""`python -m ops backup`: dump the database into S3 (streamed, multipart), copy storage, write the manifest."""

from __future__ import annotations

import argparse
import os
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.backup import BackupError, BackupSettings, run_backup
from ops.backup.upload import MIB
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
        "backup",
        help="back up the database (and storage objects) to S3",
        description="Streams `pg_dump -Fc` into an S3 multipart upload under backups/<stack>/<UTC time>/, "
        "copies changed storage objects, and writes manifest.json last.",
    )
    add_location_arguments(parser)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="database to back up (default: $DATABASE_URL); its password may also come from $PGPASSWORD",
    )
    parser.add_argument("--part-size-mib", type=int, default=8, help="multipart part size (5..512 MiB)")
    parser.add_argument(
        "--storage-endpoint-url",
        default=os.environ.get("STORAGE_S3_ENDPOINT_URL"),
        help="S3 endpoint of the storage to copy, e.g. https://<ref>.supabase.co/storage/v1/s3 "
        "(keys from $STORAGE_S3_ACCESS_KEY_ID / $STORAGE_S3_SECRET_ACCESS_KEY); "
        "without it storage is not copied",
    )
    parser.add_argument("--storage-region", default=os.environ.get("STORAGE_S3_REGION"))
    parser.add_argument(
        "--storage-bucket",
        action="append",
        default=[],
        help="copy only this storage bucket (repeatable; default: every bucket)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    problem = missing_location(args) or (
        None if args.database_url else "--database-url is required (or set $DATABASE_URL)"
    )
    if problem or not 5 <= args.part_size_mib <= 512:
        return usage_error(problem or "--part-size-mib must be between 5 and 512")
    settings = BackupSettings(
        database_url=args.database_url,
        stack=args.stack,
        bucket=args.bucket,
        s3=s3_client(args.endpoint_url, args.region),
        pg=pg_client(args),
        storage_source=storage_store(args),
        part_size=args.part_size_mib * MIB,
    )
    try:
        with terminate_as_interrupt():
            location, manifest = run_backup(settings)
    except BackupError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return fail("interrupted: the upload was aborted and no manifest written, so this run is not a backup")
    except (BotoCoreError, ClientError) as exc:
        return fail(
            f"S3 refused or could not be reached ({exc}); check --bucket, --endpoint-url and the "
            "credentials; no manifest was written"
        )
    storage = manifest.storage
    print(
        f"backup {location.stamp} of stack {location.stack}: s3://{location.bucket}/{location.prefix} "
        f"({manifest.size_bytes} bytes, sha256 {manifest.sha256}, {len(manifest.row_counts)} tables, "
        f"newest migration {manifest.newest_migration or 'none'})"
    )
    if storage:
        print(f"storage: {storage.objects} objects, {storage.copied} copied, {storage.skipped} unchanged")
    return EXIT_OK
