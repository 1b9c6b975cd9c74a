"""Guide 000 section 7.1's "each function's invocations, errors and execution time" and "the API's request
volume, error rates and response times", from the Management API's logs endpoint for the same five minutes the
log signals count: `function_edge_logs` (metadata.execution_time_ms, request.pathname, response.status_code)
and `edge_logs`, Supabase's API gateway (response.origin_time, response.status_code).

Durations are published as CloudWatch value/count pairs (PutMetricData's `Values` and `Counts`), so CloudWatch
itself computes p50 and p95 for the dashboard; the logs query only groups by function and a rounded duration
(10 ms steps under a second, 100 ms above), which keeps the answer small whatever the traffic.

Standard library only, like the rest of ops/metrics.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import count, query_logs, window_ending

# PutMetricData takes at most 150 distinct values per metric datum.
MAX_DISTINCT_VALUES = 150
_ROUNDED = "case when {ms} < 1000 then round({ms}, -1) else round({ms}, -2) end"
FUNCTION_TRAFFIC_SQL = (
    "select regexp_extract(request.pathname, '/functions/v1/([^/]+)') as function_name, "
    f"{_ROUNDED.format(ms='m.execution_time_ms')} as duration_ms, "
    "count(*) as calls, countif(response.status_code >= 500) as errors "
    "from function_edge_logs cross join unnest(metadata) as m cross join unnest(m.request) as request "
    "cross join unnest(m.response) as response "
    "group by function_name, duration_ms"
)
GATEWAY_TRAFFIC_SQL = (
    f"select {_ROUNDED.format(ms='response.origin_time')} as latency_ms, "
    "count(*) as requests, countif(response.status_code >= 500) as errors "
    "from edge_logs cross join unnest(metadata) as m cross join unnest(m.response) as response "
    "group by latency_ms"
)


@dataclass
class Traffic:
    """Calls, 5xx answers and a duration histogram (milliseconds -> calls)."""

    calls: int = 0
    errors: int = 0
    durations: dict[float, int] = field(default_factory=dict)

    def add(self, duration_ms: float, calls: int, errors: int) -> None:
        if errors > calls or calls < 0 or errors < 0:
            raise MetricsError(f"the logs query counted {errors} errors in {calls} calls")
        self.calls += calls
        self.errors += errors
        self.durations[duration_ms] = self.durations.get(duration_ms, 0) + calls

    def histogram(self) -> tuple[list[float], list[float]]:
        """Values and counts for PutMetricData; past 150 values the slowest merge into the 150th (an upper
        percentile then reads low rather than never)."""
        ordered = sorted(self.durations.items())
        if len(ordered) > MAX_DISTINCT_VALUES:
            kept = ordered[: MAX_DISTINCT_VALUES - 1]
            kept.append((ordered[MAX_DISTINCT_VALUES - 1][0], sum(c for _, c in ordered[MAX_DISTINCT_VALUES - 1 :])))
            ordered = kept
        return [value for value, _ in ordered], [float(calls) for _, calls in ordered]


def function_traffic(api_url: str, token: str, project_ref: str, now: datetime) -> dict[str, Traffic]:
    start, end = window_ending(now)
    by_function: dict[str, Traffic] = defaultdict(Traffic)
    for row in query_logs(api_url, token, project_ref, FUNCTION_TRAFFIC_SQL, start, end):
        name = row.get("function_name")
        if not isinstance(name, str) or not name:
            continue  # a request to /functions/v1/ itself names no function
        by_function[name].add(_number(row, "duration_ms"), count([row], "calls"), count([row], "errors"))
    return dict(by_function)


def gateway_traffic(api_url: str, token: str, project_ref: str, now: datetime) -> Traffic:
    start, end = window_ending(now)
    traffic = Traffic()
    for row in query_logs(api_url, token, project_ref, GATEWAY_TRAFFIC_SQL, start, end):
        traffic.add(_number(row, "latency_ms"), count([row], "requests"), count([row], "errors"))
    return traffic


def traffic_metric_data(
    functions: dict[str, Traffic], gateway: Traffic, stack: str, timestamp: datetime
) -> list[dict[str, Any]]:
    """Per function: FunctionCalls, Function5xx and FunctionDuration (by FunctionName); the gateway:
    ApiRequests, Api5xx and ApiLatency. A quiet window publishes counts of 0 and no duration."""
    data: list[dict[str, Any]] = []
    for name, traffic in sorted(functions.items()):
        dimensions = [{"Name": "Stack", "Value": stack}, {"Name": "FunctionName", "Value": name}]
        data += _datums(traffic, dimensions, timestamp, "FunctionCalls", "Function5xx", "FunctionDuration")
    data += _datums(gateway, [{"Name": "Stack", "Value": stack}], timestamp, "ApiRequests", "Api5xx", "ApiLatency")
    return data


def publish_traffic(
    api_url: str, token: str, project_ref: str, stack: str, cloudwatch: Any, *, namespace: str, now: datetime
) -> dict[str, float]:
    functions = function_traffic(api_url, token, project_ref, now)
    gateway = gateway_traffic(api_url, token, project_ref, now)
    _, end = window_ending(now)
    data = traffic_metric_data(functions, gateway, stack, end)
    for first in range(0, len(data), 20):  # a call carries at most 1000 datums; 20 keeps each under 1 MB too
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[first : first + 20])
    return {
        "ApiRequests": gateway.calls,
        "Api5xx": gateway.errors,
        **{f"FunctionCalls[{name}]": traffic.calls for name, traffic in sorted(functions.items())},
    }


def _datums(
    traffic: Traffic, dimensions: list[dict[str, str]], timestamp: datetime, calls: str, errors: str, duration: str
) -> list[dict[str, Any]]:
    datums: list[dict[str, Any]] = [
        {
            "MetricName": calls,
            "Dimensions": dimensions,
            "Timestamp": timestamp,
            "Value": traffic.calls,
            "Unit": "Count",
        },
        {
            "MetricName": errors,
            "Dimensions": dimensions,
            "Timestamp": timestamp,
            "Value": traffic.errors,
            "Unit": "Count",
        },
    ]
    values, counts = traffic.histogram()
    if values:
        datums.append(
            {
                "MetricName": duration,
                "Dimensions": dimensions,
                "Timestamp": timestamp,
                "Values": values,
                "Counts": counts,
                "Unit": "Milliseconds",
            }
        )
    return datums


def _number(row: dict[str, Any], column: str) -> float:
    value = row.get(column)
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MetricsError(f"the logs query's {column} is not a number ({value!r:.40})") from None
