"""What the commands share: one style for errors (`error: ...` and `usage error: ...`, both on standard error,
with the exit codes of ops/exit_codes.py), where backups are and how to reach S3, stack outputs read from
`pulumi stack output --json`, and SIGTERM treated as Ctrl-C."""

from __future__ import annotations

import argparse
import contextlib
import json
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
from ops.backup.storage import S3ObjectStore
from ops.exit_codes import EXIT_FAILED, EXIT_USAGE


def fail(message: str) -> int:
    """A refusal or failure: the message names the thing and the fix."""
    print(f"error: {message}", file=sys.stderr)
    return EXIT_FAILED


def usage_error(message: str) -> int:
    """Arguments that cannot work together (argparse reports the ones it can check itself, also with 2)."""
    print(f"usage error: {message}", file=sys.stderr)
    return EXIT_USAGE


def add_location_arguments(parser: argparse.ArgumentParser) -> None:
    """Where a stack's backups are: the backup, restore and verify-backup commands' shared options."""
    parser.add_argument(
        "--stack", default=os.environ.get("PULUMI_STACK"), help="stack whose backups these are (default: $PULUMI_STACK)"
    )
    parser.add_argument(
        "--bucket",
        default=os.environ.get("BACKUP_BUCKET"),
        help="S3 bucket holding the backups (default: $BACKUP_BUCKET)",
    )
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("BACKUP_S3_ENDPOINT_URL"),
        help="S3-compatible endpoint of that bucket (default: AWS; $BACKUP_S3_ENDPOINT_URL)",
    )
    parser.add_argument("--region", default=os.environ.get("AWS_REGION"), help="the bucket's region")
    parser.add_argument(
        "--pg-bin-dir",
        type=Path,
        default=None,
        help="folder with pg_dump/pg_restore/psql as new as the server (default: $PG_BIN_DIR, "
        "the embedded PostgreSQL's, then PATH)",
    )


def missing_location(args: argparse.Namespace) -> str | None:
    for option, value in (("--stack", args.stack), ("--bucket", args.bucket)):
        if not value:
            return f"{option} is required (or set ${'PULUMI_STACK' if option == '--stack' else 'BACKUP_BUCKET'})"
    return None


def s3_client(endpoint_url: str | None, region: str | None, **credentials: str | None) -> Any:
    # Standard retries ride out an endpoint's brief hiccups without re-sending a whole backup.
    config = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region or "us-east-1",
        config=config,
        **{k: v for k, v in credentials.items() if v},
    )


def storage_store(args: argparse.Namespace) -> S3ObjectStore | None:
    """The Storage buckets behind --storage-endpoint-url (keys from the STORAGE_S3_* variables), or None."""
    if not args.storage_endpoint_url:
        return None
    client = s3_client(
        args.storage_endpoint_url,
        args.storage_region,
        aws_access_key_id=os.environ.get("STORAGE_S3_ACCESS_KEY_ID"),
        aws_secret_access_key=os.environ.get("STORAGE_S3_SECRET_ACCESS_KEY"),
        # Supabase's session-token authentication (the scheduled job's credentials).
        aws_session_token=os.environ.get("STORAGE_S3_SESSION_TOKEN"),
    )
    return S3ObjectStore(client, tuple(args.storage_bucket))


def pg_client(args: argparse.Namespace) -> PgClient:
    return PgClient(bin_dir=args.pg_bin_dir)


def read_outputs(source: str) -> dict[str, Any]:
    """The stack's outputs from `pulumi stack output --json` in a file (or - for standard input)."""
    where = "standard input" if source == "-" else source
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
        outputs = json.loads(text)
    except OSError as exc:
        raise ValueError(f"cannot read {where}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where} is not JSON ({exc.msg}); pass `pulumi stack output --json`") from None
    if not isinstance(outputs, dict):
        raise ValueError(f"{where} is not a JSON object of stack outputs; pass `pulumi stack output --json`")
    return outputs


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
