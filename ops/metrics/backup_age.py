"""How old the stack's newest complete backup is, as a gauge for the dashboard (BackupAgeHours).

The backup job (`python -m ops backup`, components/backup_job.py) writes `backups/<stack>/<UTC stamp>/` and its
manifest last, so a stamp with a manifest is a complete backup (ops/backup/layout.py). The scheduled scraper
lists the stamps (one level, so the Storage copies under `storage/` are never walked), finds the newest with a
manifest and publishes its age every run: the figure grows between backups and drops after each one.

Standard library and boto3 only; the layout's names are repeated here because this file runs in the Lambda
function without ops/backup (tests/ops/test_backup_age.py checks they agree).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ops.metrics.gauges import MetricsError

METRIC = "BackupAgeHours"
BACKUP_ROOT = "backups"
MANIFEST_NAME = "manifest.json"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP = re.compile(r"^\d{8}T\d{6}Z$")


def newest_complete_backup(s3: Any, bucket: str, stack: str) -> datetime | None:
    prefix = f"{BACKUP_ROOT}/{stack}/"
    stamps: list[str] = []
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                stamp = common["Prefix"][len(prefix) :].rstrip("/")
                if _STAMP.match(stamp):
                    stamps.append(stamp)
        for stamp in sorted(stamps, reverse=True):
            found = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}{stamp}/{MANIFEST_NAME}", MaxKeys=1)
            if found.get("KeyCount", 0):
                return datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=UTC)
    except Exception as exc:  # botocore's errors: the name and code, never a credential
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", type(exc).__name__)
        raise MetricsError(f"backup age: the backup bucket {bucket!r} could not be listed ({code})") from None
    return None


def backup_age_hours(s3: Any, bucket: str, stack: str, now: datetime) -> float | None:
    """Hours since the newest complete backup began; None when the stack has none yet."""
    newest = newest_complete_backup(s3, bucket, stack)
    return None if newest is None else round(max(0.0, (now - newest).total_seconds() / 3600), 2)


def publish_backup_age(
    s3: Any, bucket: str, stack: str, cloudwatch: Any, *, namespace: str, now: datetime | None = None
) -> dict[str, float]:
    """Publishes the age; with no backup at all nothing is published (the backup alarms cover a job that never
    succeeded), and the run says so by returning no figure."""
    moment = now or datetime.now(UTC)
    age = backup_age_hours(s3, bucket, stack, moment)
    if age is None:
        return {}
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": METRIC,
                "Dimensions": [{"Name": "Stack", "Value": stack}],
                "Timestamp": moment,
                "Value": age,
                "Unit": "None",
            }
        ],
    )
    return {METRIC: age}
