"""The scheduled Lambda function's entry point: settings from its environment, the keys from Secrets Manager.

The database's gauges and the log signals are independent: one failing does not keep the other from
CloudWatch, and the run still fails (the scraper's alarm counts failed runs)."""

from __future__ import annotations

import os
from typing import Any

import boto3

from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import publish_log_signals
from ops.metrics.scrape import NAMESPACE, scrape_and_publish


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
        try:
            token = secrets.get_secret_value(SecretId=os.environ["LOGS_TOKEN_SECRET"])["SecretString"]
            published |= publish_log_signals(
                os.environ["MANAGEMENT_API_URL"],
                token,
                os.environ["PROJECT_REF"],
                stack,
                cloudwatch,
                namespace=NAMESPACE,
            )
        except MetricsError as exc:
            failures.append(f"log signals: {exc}")
    if failures:
        raise MetricsError("; ".join(failures))
    return published
