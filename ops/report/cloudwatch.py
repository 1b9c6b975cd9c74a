"""The dashboard's own figures for the weekly review, read back from CloudWatch (GetMetricData), so the page and
the dashboard agree: each function's calls, 5xx share and execution time per day, the API gateway's requests and
5xx, failed sign-ins, the database gauges' daily highs, slow statements, provider spend per day (the spend meter's
running total at its daily high) and the newest backup's age. The same metric names and dimensions the dashboard
names (components/dashboard.py), in the namespace the scraper and the meter publish to.

Percentiles (p50, p95) are asked for by default; pass `percentiles=False` for a CloudWatch that computes none
(moto, in the tests)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ops.metrics.backup_age import METRIC as BACKUP_AGE
from ops.metrics.gauges import MetricsError
from ops.metrics.provider_spend import DIMENSION as SPEND_DIMENSION
from ops.metrics.provider_spend import METRIC as SPEND
from ops.metrics.provider_spend import TOTAL as SPEND_TOTAL
from ops.metrics.scrape import NAMESPACE

DAY = 86400
GAUGES = ("CpuUtilization", "MemoryUtilization", "DiskUtilization", "ConnectionUtilization")
QUERIES_PER_CALL = 500  # GetMetricData's limit


@dataclass(frozen=True)
class CloudFunctionDay:
    day: date
    function: str
    calls: float
    errors: float
    average_ms: float | None
    p50_ms: float | None = None
    p95_ms: float | None = None

    @property
    def error_percent(self) -> float:
        return 100.0 * self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class CloudFigures:
    """Per-day figures, {day: value}; a day without data is absent, never 0."""

    function_days: tuple[CloudFunctionDay, ...]
    per_day: dict[str, dict[date, float]] = field(default_factory=dict)
    backup_age_hours: float | None = None


@dataclass(frozen=True)
class Query:
    key: str
    metric: str
    stat: str
    dimensions: tuple[tuple[str, str], ...]


def read_cloudwatch_figures(
    cloudwatch: Any, stack: str, *, days: int = 7, now: datetime | None = None, percentiles: bool = True
) -> CloudFigures:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    start = datetime.combine(moment.date() - timedelta(days=days - 1), datetime.min.time(), tzinfo=UTC)
    functions = _function_names(cloudwatch, stack)
    queries = report_queries(stack, functions, percentiles=percentiles)
    series = _get(cloudwatch, queries, start, moment, DAY)
    function_days = []
    for function in functions:
        calls = series.get(f"calls/{function}", {})
        for day in sorted(calls):
            function_days.append(
                CloudFunctionDay(
                    day=day,
                    function=function,
                    calls=calls[day],
                    errors=series.get(f"errors/{function}", {}).get(day, 0.0),
                    average_ms=series.get(f"Average/{function}", {}).get(day),
                    p50_ms=series.get(f"p50/{function}", {}).get(day),
                    p95_ms=series.get(f"p95/{function}", {}).get(day),
                )
            )
    backup = [Query(BACKUP_AGE, BACKUP_AGE, "Maximum", (("Stack", stack),))]
    age = _get(cloudwatch, backup, moment - timedelta(hours=1), moment, 3600).get(BACKUP_AGE, {})
    return CloudFigures(
        function_days=tuple(function_days),
        per_day={q.key: series.get(q.key, {}) for q in queries if "/" not in q.key},
        backup_age_hours=age[max(age)] if age else None,
    )


def report_queries(stack: str, functions: Iterable[str], *, percentiles: bool = True) -> list[Query]:
    """What the review asks CloudWatch for: metric names and dimensions as the dashboard names them."""
    stack_only = (("Stack", stack),)
    queries = [
        Query("ApiRequests", "ApiRequests", "Sum", stack_only),
        Query("Api5xx", "Api5xx", "Sum", stack_only),
        Query("FailedSignIns", "FailedSignIns", "Sum", stack_only),
        Query("SlowStatements", "SlowStatements", "Maximum", stack_only),
        Query("ProviderSpendUsd", SPEND, "Maximum", (*stack_only, (SPEND_DIMENSION, SPEND_TOTAL))),
        *(Query(gauge, gauge, "Maximum", stack_only) for gauge in GAUGES),
    ]
    duration_stats = ["Average", *(("p50", "p95") if percentiles else ())]
    for function in functions:
        dims = (*stack_only, ("FunctionName", function))
        queries += [
            Query(f"calls/{function}", "FunctionCalls", "Sum", dims),
            Query(f"errors/{function}", "Function5xx", "Sum", dims),
            *(Query(f"{stat}/{function}", "FunctionDuration", stat, dims) for stat in duration_stats),
        ]
    return [*queries, Query(BACKUP_AGE, BACKUP_AGE, "Maximum", stack_only)]


def _function_names(cloudwatch: Any, stack: str) -> list[str]:
    names: set[str] = set()
    try:
        pages = cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=NAMESPACE, MetricName="FunctionCalls", Dimensions=[{"Name": "Stack", "Value": stack}]
        )
        for page in pages:
            for metric in page["Metrics"]:
                names |= {d["Value"] for d in metric["Dimensions"] if d["Name"] == "FunctionName"}
    except Exception as exc:
        raise MetricsError(f"CloudWatch: the stack's metrics could not be listed ({_code(exc)})") from None
    return sorted(names)


def _get(
    cloudwatch: Any, queries: list[Query], start: datetime, end: datetime, period: int
) -> dict[str, dict[date, float]]:
    found: dict[str, dict[date, float]] = {}
    for first in range(0, len(queries), QUERIES_PER_CALL):
        batch = {f"q{i}": q for i, q in enumerate(queries[first : first + QUERIES_PER_CALL])}
        request = [
            {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": q.metric,
                        "Dimensions": [{"Name": n, "Value": v} for n, v in q.dimensions],
                    },
                    "Period": period,
                    "Stat": q.stat,
                },
            }
            for query_id, q in batch.items()
        ]
        try:
            for page in cloudwatch.get_paginator("get_metric_data").paginate(
                MetricDataQueries=request, StartTime=start, EndTime=end, ScanBy="TimestampAscending"
            ):
                for result in page["MetricDataResults"]:
                    values = found.setdefault(batch[result["Id"]].key, {})
                    values.update(_by_day(result["Timestamps"], result["Values"]))
        except Exception as exc:
            raise MetricsError(f"CloudWatch: GetMetricData failed ({_code(exc)})") from None
    return found


def _by_day(timestamps: Iterable[datetime], values: Iterable[float]) -> dict[date, float]:
    return {moment.astimezone(UTC).date(): float(value) for moment, value in zip(timestamps, values, strict=True)}


def _code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
