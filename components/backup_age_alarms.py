"""Alarms on the backups themselves rather than on the job that makes them: BackupAgeHours, the age of the
newest backup with a manifest, which the metrics scraper publishes every run (ops/metrics/backup_age.py).

The CodeBuild alarms (components/alarms.py) hear only whether the job said it succeeded; these hear a job that
"succeeds" without writing a manifest, a bucket emptied or a backup folder deleted.

Two alarms, because missing data means two things. While a complete backup exists the scraper publishes its
age, and an age over backup.maxHoursWithoutSuccess alarms within the hour. With no complete backup at all
(a new stack, or every backup gone) it publishes nothing; silence is treated as breaching, but only after a
whole maxHoursWithoutSuccess window of it: the time the schedule has to make a first backup, so a new stack
does not page before its first night, and an emptied bucket pages no later than its last backup would have
aged past the limit. A scraper that stops running is silence too; its own alarm (database_metrics.py) says
why sooner."""

from __future__ import annotations

from typing import Any

from ops.metrics.backup_age import METRIC
from ops.metrics.scrape import NAMESPACE

HOUR = 3600


def backup_age_alarms(prefix: str, *, stack: str, max_hours: int) -> list[dict[str, Any]]:
    """MetricAlarm keyword arguments (plus `resource_name`) for the two alarms."""
    watched = {"namespace": NAMESPACE, "metric_name": METRIC, "dimensions": {"Stack": stack}, "period": HOUR}
    return [
        {
            "resource_name": f"{prefix}-backup-age",
            "alarm_description": (
                f"The newest complete backup (one with its manifest) is over {max_hours} hours old "
                "(backup.maxHoursWithoutSuccess; docs/runbooks.md)"
            ),
            **watched,
            "statistic": "Maximum",
            "evaluation_periods": 1,
            "datapoints_to_alarm": 1,
            "comparison_operator": "GreaterThanThreshold",
            "threshold": max_hours,
            # An hour without a figure is the silence alarm's to judge; it must not clear this one.
            "treat_missing_data": "missing",
        },
        {
            "resource_name": f"{prefix}-backup-age-silent",
            "alarm_description": (
                f"No complete backup found for {max_hours} hours: none was ever made, or the backups are gone "
                "(BackupAgeHours is published only while one exists; docs/runbooks.md)"
            ),
            **watched,
            # Any figure in an hour is a backup that exists; every hour of the window without one alarms.
            "statistic": "SampleCount",
            "evaluation_periods": max_hours,
            "datapoints_to_alarm": max_hours,
            "comparison_operator": "LessThanThreshold",
            "threshold": 1,
            "treat_missing_data": "breaching",
        },
    ]
