"""`python -m ops report`: guide 002's weekly review (slowest statements, each function's latency and error trend,
spend per day, Storage growth, backup history) as one self-contained HTML page with its plots embedded.

It reads the database (--database-url, $DATABASE_URL, or the local stack's database.localUrl) read-only, and
the backup bucket's manifests when --backup-bucket is given, and with --cloudwatch the dashboard's own figures
from CloudWatch (the scraper's and the spend meter's, for --stack in --region), so page and dashboard agree."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ops.commands.local import LOCAL_DIR, LOCAL_STACK_FILE
from ops.commands.support import fail, usage_error
from ops.exit_codes import EXIT_OK
from ops.metrics.database_figures import DEFAULT_SLOW_MILLISECONDS
from ops.metrics.gauges import MetricsError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the weekly review (slow statements, function latency, spend, storage, backups)",
        description=__doc__,
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="default: $DATABASE_URL, else the local stack's database.localUrl",
    )
    parser.add_argument("--output", type=Path, help="default: .local/reports/weekly-review-<UTC date>.html")
    parser.add_argument("--days", type=int, default=7, help="the window (default 7)")
    parser.add_argument("--slow-query-ms", type=float, default=DEFAULT_SLOW_MILLISECONDS)
    parser.add_argument("--backup-bucket", default=os.environ.get("BACKUP_BUCKET"))
    parser.add_argument("--stack", default=os.environ.get("PULUMI_STACK", "local"))
    parser.add_argument(
        "--cloudwatch",
        action="store_true",
        help="also read the dashboard's figures from CloudWatch (GetMetricData; the stack's AWS credentials)",
    )
    parser.add_argument(
        "--no-percentiles",
        action="store_true",
        help="with --cloudwatch, ask for means instead of p50/p95 (for a local CloudWatch stand-in that has none)",
    )
    parser.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "eu-central-1"))
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 92:
        return usage_error("--days must be between 1 and 92")
    url = args.database_url or _local_url()
    if not url:
        return usage_error("give --database-url (or $DATABASE_URL); no local stack file to read it from")
    from ops.report.data import read_report_data  # matplotlib and psycopg: loaded only for this command
    from ops.report.page import render
    from ops.sql_query import connection_query

    s3 = cloudwatch = None
    if args.backup_bucket or args.cloudwatch:
        import boto3

        if args.backup_bucket:
            s3 = boto3.client("s3", endpoint_url=args.endpoint_url, region_name=args.region)
        if args.cloudwatch:
            cloudwatch = boto3.client("cloudwatch", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        data = read_report_data(
            connection_query(url),
            days=args.days,
            slow_ms=args.slow_query_ms,
            s3=s3,
            bucket=args.backup_bucket,
            stack=args.stack,
            cloudwatch=cloudwatch,
            percentiles=not args.no_percentiles,
        )
    except MetricsError as exc:
        return fail(str(exc))
    output = args.output or LOCAL_DIR / "reports" / f"weekly-review-{datetime.now(UTC):%Y-%m-%d}.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(data, title=f"Weekly review: {args.stack}"), encoding="utf-8")
    print(f"wrote {output}")
    return EXIT_OK


def _local_url() -> str | None:
    if not LOCAL_STACK_FILE.exists():
        return None
    config = (yaml.safe_load(LOCAL_STACK_FILE.read_text()) or {}).get("config") or {}
    return (config.get("ai-platform:database") or {}).get("localUrl")
