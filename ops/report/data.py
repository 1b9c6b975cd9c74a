"""What the weekly review shows, read from the database (and the backup bucket when given): the slowest
statements, each function's daily latency and error share (public.performance_metrics, the rows the shared
request frame writes), provider spend per day and unit (the spend ledger, public.provider_spend_by_day), Storage growth (storage.objects) and
the backup history (the manifests in the backup bucket)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ops.metrics.database_figures import DatabaseFigures, Query, database_figures
from ops.report.cloudwatch import CloudFigures, read_cloudwatch_figures

FUNCTION_DAYS_SQL = """
select (p."timestamp" at time zone 'utc')::date as day, p.function_name,
       count(*)::bigint as calls,
       percentile_cont(0.5) within group (order by p.execution_time_ms)::float8 as p50_ms,
       percentile_cont(0.95) within group (order by p.execution_time_ms)::float8 as p95_ms,
       (100.0 * count(*) filter (where not p.success) / count(*))::float8 as error_percent
from public.performance_metrics p
where p."timestamp" >= now() - make_interval(days => {days})
group by 1, 2 order by 1, 2
"""
# The same figures the spend meter publishes and the daily spend alarm compares (ops/metrics/provider_spend.py).
SPEND_DAYS_SQL = """
select s.day, s.unit, s.quantity::float8 as quantity, s.spend_usd::float8 as usd
from public.provider_spend_by_day(((now() at time zone 'utc') - make_interval(days => {days}))::date) s
order by 1, 2
"""
# Bytes in Storage at the end of each day of the window: what existed before it, plus each day's uploads.
STORAGE_DAYS_SQL = """
with days as (
  select d::date as day from generate_series((now() - make_interval(days => {days}))::date, now()::date,
                                             interval '1 day') d)
select days.day, (select coalesce(sum((o.metadata ->> 'size')::bigint), 0) from storage.objects o
                  where (o.created_at at time zone 'utc')::date <= days.day)::bigint as bytes
from days order by 1
"""


@dataclass(frozen=True)
class FunctionDay:
    day: date
    function: str
    calls: int
    p50_ms: float
    p95_ms: float
    error_percent: float


@dataclass(frozen=True)
class SpendDay:
    day: date
    unit: str  # private.spend_units' unit: ai_tokens, translation_characters, ...
    quantity: float
    usd: float


@dataclass(frozen=True)
class Backup:
    stamp: str  # UTC time of the run, e.g. 20261207T020000Z
    size_bytes: int


@dataclass(frozen=True)
class ReportData:
    days: int
    figures: DatabaseFigures
    function_days: tuple[FunctionDay, ...]
    spend_units: tuple[SpendDay, ...]
    storage_days: tuple[tuple[date, int], ...]
    backups: tuple[Backup, ...] | None = None  # None: no bucket was given
    cloud: CloudFigures | None = None  # the dashboard's figures; None: CloudWatch was not asked
    notes: list[str] = field(default_factory=list)

    @property
    def spend_days(self) -> tuple[tuple[date, float], ...]:
        """Each day's total over every unit."""
        totals: dict[date, float] = {}
        for row in self.spend_units:
            totals[row.day] = totals.get(row.day, 0.0) + row.usd
        return tuple(sorted(totals.items()))


def read_report_data(
    query: Query,
    *,
    days: int = 7,
    slow_ms: float = 1000.0,
    s3: Any = None,
    bucket: str | None = None,
    stack: str | None = None,
    cloudwatch: Any = None,
    percentiles: bool = True,
) -> ReportData:
    return ReportData(
        days=days,
        figures=database_figures(query, slow_ms=slow_ms),
        function_days=tuple(
            FunctionDay(
                day=_day(r["day"]),
                function=str(r["function_name"]),
                calls=int(r["calls"]),
                p50_ms=float(r["p50_ms"]),
                p95_ms=float(r["p95_ms"]),
                error_percent=float(r["error_percent"]),
            )
            for r in query(FUNCTION_DAYS_SQL.format(days=int(days)))
        ),
        spend_units=tuple(
            SpendDay(day=_day(r["day"]), unit=str(r["unit"]), quantity=float(r["quantity"]), usd=float(r["usd"] or 0))
            for r in query(SPEND_DAYS_SQL.format(days=int(days)))
        ),
        storage_days=tuple((_day(r["day"]), int(r["bytes"])) for r in query(STORAGE_DAYS_SQL.format(days=int(days)))),
        backups=read_backups(s3, bucket, stack) if s3 is not None and bucket and stack else None,
        cloud=(
            read_cloudwatch_figures(cloudwatch, stack, days=days, percentiles=percentiles)
            if cloudwatch is not None and stack
            else None
        ),
    )


def read_backups(s3: Any, bucket: str, stack: str) -> tuple[Backup, ...]:
    from ops.backup.layout import BackupLocation, list_complete_backups

    found = []
    for stamp in list_complete_backups(s3, bucket, stack):
        key = BackupLocation(bucket, stack, stamp).manifest_key
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        found.append(Backup(stamp=stamp, size_bytes=int(manifest["size_bytes"])))
    return tuple(found)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
