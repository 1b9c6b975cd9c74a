"""`python -m ops export process-requests`: build the archives people asked for (docs/data.md, "Getting it")."""

from __future__ import annotations

import argparse
from typing import Any

import psycopg

from ops.commands.lifecycle_support import add_database_argument, archive_from_env, failed
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.export import DEFAULT_CAP_BYTES, process_export_requests
from ops.lifecycle.storage_api import StorageApi


def register(subparsers: Any) -> None:
    export = subparsers.add_parser("export", help="build the data exports people asked for")
    commands = export.add_subparsers(dest="export_command", required=True, metavar="COMMAND")
    parser = commands.add_parser(
        "process-requests",
        help="build every requested export",
        description="Builds each requested export (rows as JSON, files from Storage) and stores it in the "
        "person's folder of the exports bucket; $SUPABASE_URL and $SUPABASE_SERVICE_ROLE_KEY, and "
        "$ARCHIVE_BUCKET with AWS credentials for archived documents.",
    )
    add_database_argument(parser)
    parser.add_argument("--cap-bytes", type=int, default=DEFAULT_CAP_BYTES, help="largest archive (5 GiB)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("export process-requests: give --database-url or set DATABASE_URL")
        return EXIT_USAGE
    try:
        results = process_export_requests(
            args.database_url, StorageApi.from_env(), cap_bytes=args.cap_bytes, archive_bucket=archive_from_env()
        )
    except LifecycleError as exc:
        return failed("export process-requests", f"{exc}; the request stays and the next run tries again")
    except psycopg.Error as exc:
        return failed("export process-requests", f"the database failed ({type(exc).__name__}); rerun it")
    for result in results:
        detail = f"{result.size_bytes} bytes" if result.status == "ready" else result.error
        print(f"{result.export_id}: {result.status} ({detail})")
    if not results:
        print("no export is requested")
    return EXIT_OK
