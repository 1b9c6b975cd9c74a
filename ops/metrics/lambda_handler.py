"""The scheduled Lambda function's entry point: settings from its environment, the keys from Secrets Manager.

The database's gauges, the log signals and the statement figures are independent: one failing does not keep
the others from CloudWatch, and the run still fails (the scraper's alarm counts failed runs)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import boto3

from ops.metrics.backup_age import publish_backup_age
from ops.metrics.database_figures import DEFAULT_SLOW_MILLISECONDS, publish_database_figures
from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import DEFAULT_MIN_SOURCES, publish_log_signals
from ops.metrics.scrape import NAMESPACE, scrape_and_publish
from ops.metrics.sql_endpoint import read_only_query
from ops.metrics.traffic import publish_traffic
from ops.metrics.workload_figures import publish_workload_figures


def handler(_event: Any, _context: Any) -> dict[str, float]:
    secrets, cloudwatch, stack = boto3.client("secretsmanager"), boto3.client("cloudwatch"), os.environ["STACK"]
    published: dict[str, float] = {}
    failures: list[str] = []
    try:
        key = secrets.get_secret_value(SecretId=os.environ["SERVICE_ROLE_KEY_SECRET"])["SecretString"]
        published |= scrape_and_publish(os.environ["METRICS_URL"], key, stack, cloudwatch)
    except MetricsError as exc:
        failures.append(f"database metrics: {exc}")
    if os.environ.get("LOGS_TOKEN_SECRET"):
        api_url, ref = os.environ["MANAGEMENT_API_URL"], os.environ["PROJECT_REF"]
        token = secrets.get_secret_value(SecretId=os.environ["LOGS_TOKEN_SECRET"])["SecretString"]
        now = datetime.now(UTC)
        try:
            published |= publish_log_signals(
                api_url,
                token,
                ref,
                stack,
                cloudwatch,
                namespace=NAMESPACE,
                now=now,
                failed_sign_ins_min_sources=int(os.environ.get("FAILED_SIGN_INS_MIN_SOURCES") or DEFAULT_MIN_SOURCES),
                function_errors_min_sources=int(os.environ.get("FUNCTION_ERRORS_MIN_SOURCES") or DEFAULT_MIN_SOURCES),
            )
        except MetricsError as exc:
            failures.append(f"log signals: {exc}")
        try:
            published |= publish_traffic(api_url, token, ref, stack, cloudwatch, namespace=NAMESPACE, now=now)
        except MetricsError as exc:
            failures.append(f"traffic: {exc}")
        query = read_only_query(api_url, token, ref)
        try:
            slow_ms = float(os.environ.get("SLOW_QUERY_MILLISECONDS") or DEFAULT_SLOW_MILLISECONDS)
            published |= publish_database_figures(query, stack, cloudwatch, namespace=NAMESPACE, slow_ms=slow_ms)
        except MetricsError as exc:
            failures.append(f"statement figures: {exc}")
        try:
            published |= publish_workload_figures(query, stack, cloudwatch, namespace=NAMESPACE)
        except MetricsError as exc:
            failures.append(f"workload figures: {exc}")
    if os.environ.get("BACKUP_BUCKET"):
        try:
            s3 = boto3.client("s3")
            published |= publish_backup_age(s3, os.environ["BACKUP_BUCKET"], stack, cloudwatch, namespace=NAMESPACE)
        except MetricsError as exc:
            failures.append(str(exc))
    if failures:
        raise MetricsError("; ".join(failures))
    return published
