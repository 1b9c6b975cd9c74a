"""What the backup, restore and verify-backup commands share: where backups are and how to reach them."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
from botocore.config import Config

from ops.backup.pgtools import PgClient
from ops.exit_codes import EXIT_FAILED


def add_location_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK"),
                        help="stack whose backups these are (default: $PULUMI_STACK)")
    parser.add_argument("--bucket", default=os.environ.get("BACKUP_BUCKET"),
                        help="S3 bucket holding the backups (default: $BACKUP_BUCKET)")
    parser.add_argument("--endpoint-url", default=os.environ.get("BACKUP_S3_ENDPOINT_URL"),
                        help="S3-compatible endpoint of that bucket (default: AWS; $BACKUP_S3_ENDPOINT_URL)")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="the bucket's region")
    parser.add_argument("--pg-bin-dir", type=Path, default=None,
                        help="folder with pg_dump/pg_restore/psql as new as the server (default: $PG_BIN_DIR, "
                             "the embedded PostgreSQL's, then PATH)")


def missing_location(args: argparse.Namespace) -> str | None:
    for option, value in (("--stack", args.stack), ("--bucket", args.bucket)):
        if not value:
            return f"{option} is required (or set ${'PULUMI_STACK' if option == '--stack' else 'BACKUP_BUCKET'})"
    return None


def s3_client(endpoint_url: str | None, region: str | None, **credentials: str | None) -> Any:
    # Standard retries ride out an endpoint's brief hiccups without re-sending a whole backup.
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region or "us-east-1", config=config,
                        **{k: v for k, v in credentials.items() if v})


def pg_client(args: argparse.Namespace) -> PgClient:
    return PgClient(bin_dir=args.pg_bin_dir)


def fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a CI cancel, `kill`) unwinds like Ctrl-C, so uploads are aborted and nothing half-written."""
    def _raise(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous: Callable[[int, FrameType | None], Any] | int | None = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
