"""The scheduled Lambda function's entry point: settings from its environment, the key from Secrets Manager."""

from __future__ import annotations

import os
from typing import Any

import boto3

from ops.metrics.scrape import scrape_and_publish


def handler(_event: Any, _context: Any) -> dict[str, float]:
    key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SERVICE_ROLE_KEY_SECRET"])
    return scrape_and_publish(os.environ["METRICS_URL"], key["SecretString"], os.environ["STACK"],
                              boto3.client("cloudwatch"))
