"""The platform's provider spend today (UTC day), per unit, into CloudWatch, for the daily spend alarm and the
dashboard.

The figure comes from the spend ledger (public.provider_spend_by_day, through PostgREST's RPC with the
service-role key): every paid unit (AI tokens, translation characters, OCR pages, SMS, e-mails, embeddings) that
the functions reserve before a provider call and settle after it, at its list price. The ledger is append-only and
only the backend writes it, so nothing a user does lowers the figure. Published as ProviderSpendUsd, one point per
unit and one with Unit=ALL, which the alarm compares with providerSpend.dailyCeilingUsd.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from typing import Any

import boto3

from ops.metrics.gauges import MetricsError

NAMESPACE = "AiPlatform/Supabase"
METRIC = "ProviderSpendUsd"
DIMENSION = "Unit"
TOTAL = "ALL"  # the Unit value of the day's total, what the alarm watches
RPC = "provider_spend_by_day"


def utc_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def fetch_spend_by_day(
    supabase_url: str, service_role_key: str, since: date, timeout: float = 20.0
) -> dict[date, dict[str, float]]:
    """{day: {unit: USD}} for every UTC day from `since` on, as the ledger holds them."""
    body = json.dumps({"p_since": since.isoformat()}).encode()
    request = urllib.request.Request(
        f"{supabase_url.rstrip('/')}/rest/v1/rpc/{RPC}",
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
            f"provider spend: the project answered {exc.code} to rpc/{RPC} (is the schema migrated?)"
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise MetricsError(f"provider spend: rpc/{RPC} could not be read ({type(exc).__name__})") from None
    if not isinstance(rows, list):
        raise MetricsError(f"provider spend: rpc/{RPC} did not answer a list of rows")
    spend: dict[date, dict[str, float]] = {}
    for row in rows:
        try:
            day, unit, usd = date.fromisoformat(str(row["day"])), str(row["unit"]), float(row["spend_usd"] or 0)
        except (KeyError, TypeError, ValueError):
            raise MetricsError(f"provider spend: rpc/{RPC} answered a row without day, unit and spend_usd") from None
        spend.setdefault(day, {})[unit] = spend.get(day, {}).get(unit, 0.0) + usd
    return spend


def fetch_spend(supabase_url: str, service_role_key: str, day: date, timeout: float = 20.0) -> dict[str, float]:
    """{unit: USD} spent on one UTC day."""
    return fetch_spend_by_day(supabase_url, service_role_key, day, timeout).get(day, {})


def publish_spend(spend: dict[str, float], stack: str, cloudwatch: Any, now: datetime) -> dict[str, float]:
    points = {TOTAL: sum(spend.values()), **spend}
    cloudwatch.put_metric_data(
        Namespace=NAMESPACE,
        MetricData=[
            {
                "MetricName": METRIC,
                "Dimensions": [{"Name": "Stack", "Value": stack}, {"Name": DIMENSION, "Value": name}],
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
    spend = fetch_spend(os.environ["SUPABASE_URL"], key, utc_day(now))
    return publish_spend(spend, os.environ["STACK"], boto3.client("cloudwatch"), now)
