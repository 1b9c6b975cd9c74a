"""`python -m ops scrape-metrics`: one scrape of Supabase's metrics endpoint into CloudWatch, as the
scheduled function does (for a check by hand, or a scheduler of your own)."""

from __future__ import annotations

import argparse
import os
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops.backup.cli_support import fail
from ops.exit_codes import EXIT_OK, EXIT_USAGE
from ops.metrics.gauges import MetricsError
from ops.metrics.scrape import NAMESPACE, scrape_and_publish


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scrape-metrics", help="publish the database's CPU, memory, disk and connection use to CloudWatch",
        description="The key from $SUPABASE_SERVICE_ROLE_KEY (HTTP basic auth as service_role).")
    parser.add_argument("--metrics-url", required=True,
                        help="https://<ref>.supabase.co/customer/v1/privileged/metrics")
    parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK"), help="the Stack dimension")
    parser.add_argument("--namespace", default=NAMESPACE)
    parser.add_argument("--interval-seconds", type=float, default=15.0, help="between the two scrapes (CPU)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    key = os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
    if not key or not args.stack:
        print("usage error: set $SUPABASE_SERVICE_ROLE_KEY and --stack (or $PULUMI_STACK)")
        return EXIT_USAGE
    cloudwatch = boto3.client("cloudwatch", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        values = scrape_and_publish(args.metrics_url, key, args.stack, cloudwatch,
                                    interval_seconds=args.interval_seconds, namespace=args.namespace)
    except MetricsError as exc:
        return fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        return fail(f"CloudWatch refused the metrics ({exc}); check the region and credentials")
    print(", ".join(f"{name} {value:g}%" for name, value in values.items()))
    return EXIT_OK
