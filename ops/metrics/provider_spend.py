"""The platform's provider spend today (UTC day) into CloudWatch, for the daily cost alarm.

The figure comes from the database (public.provider_spend_since, through PostgREST's RPC with the service-role
key): AI replies' estimated cost per provider, and every other paid unit (translation, OCR, SMS, e-mail,
embeddings) from the spend ledger at its price; rows the backend writes per call, never a per-run count.
Published as ProviderSpendUsd, one point per provider or unit and one with Provider=ALL, which the alarm
compares with providerSpend.dailyCeilingUsd.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import Any

import boto3

from ops.metrics.gauges import MetricsError

NAMESPACE = "AiPlatform/Supabase"
METRIC = "ProviderSpendUsd"


def start_of_day(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def fetch_spend(supabase_url: str, service_role_key: str, since: datetime, timeout: float = 20.0) -> dict[str, float]:
    body = json.dumps({"p_since": since.isoformat()}).encode()
    request = urllib.request.Request(
        f"{supabase_url.rstrip('/')}/rest/v1/rpc/provider_spend_since",
        data=body,
        method="POST",
        headers={
            "apikey": service_role_key,
            "Authorization": f"Bearer {service_role_key}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            rows = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise MetricsError(
            f"provider spend: the project answered {exc.code} to rpc/provider_spend_since (is the schema migrated?)"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise MetricsError(
            f"provider spend: rpc/provider_spend_since could not be read ({type(exc).__name__})"
        ) from None
    if not isinstance(rows, list):
        raise MetricsError("provider spend: rpc/provider_spend_since did not answer a list of rows")
    spend: dict[str, float] = {}
    for row in rows:
        spend[str(row["provider"])] = spend.get(str(row["provider"]), 0.0) + float(row["spend_usd"] or 0)
    return spend


def publish_spend(spend: dict[str, float], stack: str, cloudwatch: Any, now: datetime) -> dict[str, float]:
    points = {"ALL": sum(spend.values()), **spend}
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": METRIC,
                "Dimensions": [{"Name": "Stack", "Value": stack}, {"Name": "Provider", "Value": name}],
                "Timestamp": now,
                "Value": round(value, 6),
                "Unit": "None",
            }
            for name, value in points.items()
        ],
    )
    return points


def handler(_event: Any, _context: Any) -> dict[str, float]:
    key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SERVICE_ROLE_KEY_SECRET"])[
        "SecretString"
    ]
    now = datetime.now(UTC)
    spend = fetch_spend(os.environ["SUPABASE_URL"], key, start_of_day(now))
    return publish_spend(spend, os.environ["STACK"], boto3.client("cloudwatch"), now)
