"""One run: two scrapes of the endpoint, the gauges between them, one PutMetricData call."""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from ops.metrics.gauges import MetricsError, Scrape, gauges

NAMESPACE = "AiPlatform/Supabase"
USERNAME = "service_role"  # Supabase's metrics endpoint: HTTP basic auth, the service-role key as password


def fetch(url: str, service_role_key: str, timeout: float = 20.0) -> Scrape:
    token = base64.b64encode(f"{USERNAME}:{service_role_key}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Scrape.parse(response.read().decode())
    except urllib.error.HTTPError as exc:
        hint = " (the service-role key was refused)" if exc.code in (401, 403) else ""
        raise MetricsError(f"the metrics endpoint answered HTTP {exc.code}{hint}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise MetricsError(f"the metrics endpoint could not be reached ({getattr(exc, 'reason', exc)})") from None


def scrape_and_publish(
    url: str,
    service_role_key: str,
    stack: str,
    cloudwatch: Any,
    *,
    interval_seconds: float = 15.0,
    namespace: str = NAMESPACE,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float]:
    before = fetch(url, service_role_key)
    sleep(interval_seconds)
    values = gauges(before, fetch(url, service_role_key))
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": name, "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": value, "Unit": "Percent"}
            for name, value in values.items()
        ],
    )
    return values
