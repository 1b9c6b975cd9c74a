"""What the lifecycle commands share: the database URL, the Storage API from the environment, the metrics."""

from __future__ import annotations

import argparse
import os

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops.commands.support import fail
from ops.lifecycle.archive import ArchiveBucket
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.metrics import publish_counts
from ops.metrics.scrape import NAMESPACE


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL (default: $DATABASE_URL); prefer the variable, arguments show in ps",
    )


def add_metrics_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--publish-metrics",
        action="store_true",
        help=f"also put the run's counts into CloudWatch ({NAMESPACE}, dimension Stack)",
    )
    parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK"), help="the Stack dimension")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))


def publish(args: argparse.Namespace, counts: dict[str, int], names: dict[str, str]) -> None:
    if not args.publish_metrics:
        return
    if not args.stack:
        raise LifecycleError("--publish-metrics needs --stack (or $PULUMI_STACK) for the Stack dimension")
    cloudwatch = boto3.client("cloudwatch", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        publish_counts(cloudwatch, args.stack, counts, names)
    except (BotoCoreError, ClientError) as exc:
        raise LifecycleError(
            f"CloudWatch refused the counts ({type(exc).__name__}); check the region and "
            "credentials (the run itself is done)"
        ) from None


def archive_from_env(bucket: str | None = None) -> ArchiveBucket | None:
    """The archive bucket (stack output archiveBucket) from --archive-bucket or $ARCHIVE_BUCKET; None when neither
    is set. Credentials and region are boto3's own ($AWS_REGION; the workflow's role)."""
    name = bucket or os.environ.get("ARCHIVE_BUCKET")
    if not name:
        return None
    client = boto3.client(
        "s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), region_name=os.environ.get("AWS_REGION")
    )
    return ArchiveBucket(client, name)


def failed(command: str, message: str) -> int:
    """The commands' one error style (ops.commands.support.fail), naming which lifecycle step failed."""
    return fail(f"{command}: {message}")
