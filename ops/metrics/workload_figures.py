"""What the platform is doing, from the tables that hold it: document jobs waiting and failed
(public.processing_queue), reminders due and not yet sent (public.reminders) and the bytes in Storage
(storage.objects). Read through the same `Query` as the statement figures. Spend is not here: the spend meter
publishes it from the spend ledger (ops/metrics/provider_spend.py)."""

from __future__ import annotations

from typing import Any

from ops.metrics.database_figures import Query
from ops.metrics.gauges import MetricsError

WORKLOAD_SQL = """
select (select count(*) from public.processing_queue q where q.status in ('queued', 'processing'))::bigint
         as document_jobs_pending,
       (select count(*) from public.processing_queue q where q.status = 'failed')::bigint as document_jobs_failed,
       (select count(*) from public.reminders r
         where not r.is_completed and r.notified_at is null and r.remind_at <= now())::bigint as reminders_due,
       (select coalesce(sum((o.metadata ->> 'size')::bigint), 0) from storage.objects o)::bigint as storage_bytes
"""
METRICS = {  # column -> (metric name, unit)
    "document_jobs_pending": ("DocumentJobsPending", "Count"),
    "document_jobs_failed": ("DocumentJobsFailed", "Count"),
    "reminders_due": ("RemindersDue", "Count"),
    "storage_bytes": ("StorageBytes", "Bytes"),
}


def workload_figures(query: Query) -> dict[str, float]:
    rows = query(WORKLOAD_SQL)
    if len(rows) != 1:
        raise MetricsError(f"the workload query answered {len(rows)} rows, not one")
    values: dict[str, float] = {}
    for column, (name, _unit) in METRICS.items():
        try:
            values[name] = round(float(rows[0].get(column) or 0), 6)
        except (TypeError, ValueError):
            raise MetricsError(f"the workload query's {column} is not a number") from None
    return values


def publish_workload_figures(query: Query, stack: str, cloudwatch: Any, *, namespace: str) -> dict[str, float]:
    values = workload_figures(query)
    units = dict(METRICS.values())
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": name, "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": value, "Unit": units[name]}
            for name, value in values.items()
        ],
    )
    return values
