"""A lifecycle run's figures in CloudWatch, beside the database's gauges (same namespace, Stack dimension), so
the alarms and dashboards that watch the stack see orphans found and objects removed per run."""

from __future__ import annotations

from typing import Any

from ops.metrics.scrape import NAMESPACE

# counts key -> CloudWatch metric name
SWEEP_METRICS = {
    "orphans": "StorageOrphansFound",
    "orphan_bytes": "StorageOrphanBytes",
    "objects_removed": "StorageObjectsRemoved",
    "objects_blocked": "StorageObjectsHeldBack",
}

ARCHIVAL_METRICS = {
    "archived": "DocumentsArchived",
    "archived_bytes": "DocumentBytesArchived",
    "restored": "DocumentsRestored",
    "discarded": "ArchivedCopiesDiscarded",
}


def publish_counts(
    cloudwatch: Any, stack: str, counts: dict[str, int], names: dict[str, str], namespace: str = NAMESPACE
) -> dict[str, float]:
    data = {metric: float(counts.get(key, 0)) for key, metric in names.items()}
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": metric, "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": value, "Unit": "Count"}
            for metric, value in data.items()
        ],
    )
    return data
