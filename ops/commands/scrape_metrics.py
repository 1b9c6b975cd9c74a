"""`python -m ops scrape-metrics`: one scrape of Supabase's metrics endpoint into CloudWatch, as the
scheduled function does (for a check by hand, or a scheduler of your own); with --project-ref also the
log signals (function error rate, failed sign-ins) from the Management API's logs endpoint and the statement
figures (slow statements, cache hit ratios, dead rows) from its read-only SQL endpoint; with --database-url the
statement figures straight from the database instead; with --backup-bucket the age of the newest complete backup
(BackupAgeHours, which the backup-age alarms watch)."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops.commands.support import fail, s3_client, usage_error
from ops.exit_codes import EXIT_OK
from ops.metrics.backup_age import METRIC as BACKUP_AGE
from ops.metrics.backup_age import publish_backup_age
from ops.metrics.database_figures import DEFAULT_SLOW_MILLISECONDS, Query, publish_database_figures
from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import DEFAULT_MIN_SOURCES, publish_log_signals
from ops.metrics.scrape import NAMESPACE, scrape_and_publish
from ops.metrics.sql_endpoint import read_only_query
from ops.metrics.traffic import publish_traffic
from ops.metrics.workload_figures import publish_workload_figures

LOGS_TOKEN_VARIABLE = "SUPABASE_LOGS_ACCESS_TOKEN"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scrape-metrics",
        help="publish the database's CPU, memory, disk and connection use to CloudWatch",
        description="The key from $SUPABASE_SERVICE_ROLE_KEY (HTTP basic auth as service_role); with "
        f"--project-ref, the logs token from ${LOGS_TOKEN_VARIABLE}.",
    )
    parser.add_argument("--metrics-url", help="https://<ref>.supabase.co/customer/v1/privileged/metrics")
    parser.add_argument(
        "--project-ref",
        help="also publish the function error rate, failed sign-ins and the "
        "statement figures (through the Management API)",
    )
    parser.add_argument("--database-url", help="the statement figures from this database instead (read-only)")
    parser.add_argument(
        "--slow-query-ms",
        type=float,
        default=DEFAULT_SLOW_MILLISECONDS,
        help="a statement whose mean time is over this is slow (alerts.slowQueryMilliseconds)",
    )
    parser.add_argument(
        "--failed-sign-ins-min-sources",
        type=int,
        default=DEFAULT_MIN_SOURCES,
        help="distinct client addresses before failed sign-ins count for the alarm (alerts.failedSignInsMinSources)",
    )
    parser.add_argument(
        "--function-errors-min-sources",
        type=int,
        default=DEFAULT_MIN_SOURCES,
        help="distinct clients given a 5xx before the error rate counts for the alarm (alerts.functionErrorsMinSources)",
    )
    parser.add_argument(
        "--backup-bucket",
        help="also publish the age of the stack's newest complete backup in this bucket (the stack's backupBucket)",
    )
    parser.add_argument(
        "--backup-endpoint-url",
        default=os.environ.get("BACKUP_S3_ENDPOINT_URL"),
        help="S3-compatible endpoint of that bucket (default: $BACKUP_S3_ENDPOINT_URL, else --endpoint-url)",
    )
    parser.add_argument("--backup-region", help="that bucket's region (default: --region)")
    parser.add_argument("--management-api-url", default="https://api.supabase.com")
    parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK"), help="the Stack dimension")
    parser.add_argument("--namespace", default=NAMESPACE)
    parser.add_argument("--interval-seconds", type=float, default=15.0, help="between the two scrapes (CPU)")
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    key, token = os.environ.get("SUPABASE_SERVICE_ROLE_KEY"), os.environ.get(LOGS_TOKEN_VARIABLE)
    if not args.stack or not (args.metrics_url or args.project_ref or args.database_url or args.backup_bucket):
        return usage_error(
            "give --stack (or $PULUMI_STACK) and --metrics-url, --project-ref, --database-url, --backup-bucket "
            "or several"
        )
    if (args.metrics_url and not key) or (args.project_ref and not token):
        return usage_error(f"--metrics-url needs $SUPABASE_SERVICE_ROLE_KEY, --project-ref ${LOGS_TOKEN_VARIABLE}")
    cloudwatch = boto3.client("cloudwatch", endpoint_url=args.endpoint_url, region_name=args.region)
    values: dict[str, float] = {}
    try:
        if args.metrics_url:
            values |= scrape_and_publish(
                args.metrics_url,
                key or "",
                args.stack,
                cloudwatch,
                interval_seconds=args.interval_seconds,
                namespace=args.namespace,
            )
        if args.project_ref:
            now = datetime.now(UTC)
            values |= publish_log_signals(
                args.management_api_url,
                token or "",
                args.project_ref,
                args.stack,
                cloudwatch,
                namespace=args.namespace,
                now=now,
                failed_sign_ins_min_sources=args.failed_sign_ins_min_sources,
                function_errors_min_sources=args.function_errors_min_sources,
            )
            values |= publish_traffic(
                args.management_api_url,
                token or "",
                args.project_ref,
                args.stack,
                cloudwatch,
                namespace=args.namespace,
                now=now,
            )
        statements = _statement_source(args, token)
        if statements is not None:
            values |= publish_database_figures(
                statements, args.stack, cloudwatch, namespace=args.namespace, slow_ms=args.slow_query_ms
            )
            values |= publish_workload_figures(statements, args.stack, cloudwatch, namespace=args.namespace)
        if args.backup_bucket:
            s3 = s3_client(args.backup_endpoint_url or args.endpoint_url, args.backup_region or args.region)
            age = publish_backup_age(s3, args.backup_bucket, args.stack, cloudwatch, namespace=args.namespace)
            if not age:
                # Nothing is published (the silence alarm's case); the operator is told rather than shown 0.
                print(
                    f"{BACKUP_AGE}: no complete backup (a folder with its manifest) under "
                    f"s3://{args.backup_bucket}/backups/{args.stack}/",
                    file=sys.stderr,
                )
            values |= age
    except MetricsError as exc:
        return fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        return fail(f"CloudWatch refused the metrics ({exc}); check the region and credentials")
    print(
        ", ".join(
            f"{name} {value:g}{'%' if name.endswith(('Utilization', 'Rate', 'Ratio')) else ''}"
            for name, value in values.items()
        )
    )
    return EXIT_OK


def _statement_source(args: argparse.Namespace, token: str | None) -> Query | None:
    if args.database_url:
        from ops.sql_query import connection_query  # psycopg: the operator CLI's, not the scheduled function's

        return connection_query(args.database_url)
    if args.project_ref:
        return read_only_query(args.management_api_url, token or "", args.project_ref)
    return None
