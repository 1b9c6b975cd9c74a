"""The newest complete backup's age (BackupAgeHours), as the scheduled scraper publishes it for the dashboard:
read from the backup bucket's layout (moto's S3), a folder without its manifest is no backup, the Storage copies
are never walked, and the figure lands in CloudWatch (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from ops.backup import layout
from ops.metrics import backup_age
from ops.metrics.backup_age import backup_age_hours, publish_backup_age
from ops.metrics.gauges import MetricsError

BUCKET = "ai-platform-prod-backups"
NOW = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)


@pytest.fixture
def s3(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        yield client


def backup(s3, stack: str, stamp: str, *, complete: bool = True) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"backups/{stack}/{stamp}/database.dump", Body=b"dump")
    if complete:
        s3.put_object(Bucket=BUCKET, Key=f"backups/{stack}/{stamp}/manifest.json", Body=b"{}")


def test_the_newest_backup_with_a_manifest_gives_the_age(s3):
    backup(s3, "prod", "20261206T020000Z")
    backup(s3, "prod", "20261207T020000Z")
    backup(s3, "prod", "20261207T120000Z", complete=False)  # interrupted: no backup
    backup(s3, "staging", "20261207T140000Z")  # another stack's
    s3.put_object(Bucket=BUCKET, Key="backups/prod/storage/documents/a.pdf@etag", Body=b"x")
    assert backup_age_hours(s3, BUCKET, "prod", NOW) == 12.5


def test_no_backup_yet_publishes_nothing_rather_than_zero(s3):
    backup(s3, "prod", "20261207T120000Z", complete=False)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch")
        assert publish_backup_age(s3, BUCKET, "prod", cloudwatch, namespace="AiPlatform/Supabase", now=NOW) == {}
        assert cloudwatch.list_metrics(Namespace="AiPlatform/Supabase")["Metrics"] == []


def test_the_age_lands_in_cloudwatch(s3):
    backup(s3, "prod", "20261207T020000Z")
    cloudwatch = boto3.client("cloudwatch")
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = (now - timedelta(hours=3)).strftime(layout.STAMP_FORMAT)
    backup(s3, "prod", stamp)
    assert publish_backup_age(s3, BUCKET, "prod", cloudwatch, namespace="AiPlatform/Supabase", now=now) == {
        "BackupAgeHours": 3.0
    }
    points = cloudwatch.get_metric_statistics(
        Namespace="AiPlatform/Supabase",
        MetricName="BackupAgeHours",
        Dimensions=[{"Name": "Stack", "Value": "prod"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
        Period=300,
        Statistics=["Maximum"],
    )["Datapoints"]
    assert [p["Maximum"] for p in points] == [3.0]


def test_a_bucket_that_cannot_be_listed_is_a_failed_run_naming_it(s3):
    with pytest.raises(MetricsError, match="backup bucket 'no-such-bucket' could not be listed \\(NoSuchBucket\\)"):
        backup_age_hours(s3, "no-such-bucket", "prod", NOW)


def test_the_layout_names_agree_with_the_backup_job():
    """This module runs in the Lambda function without ops/backup, so it repeats the layout's names."""
    assert (backup_age.BACKUP_ROOT, backup_age.MANIFEST_NAME, backup_age.STAMP_FORMAT) == (
        layout.BACKUP_ROOT,
        layout.MANIFEST_NAME,
        layout.STAMP_FORMAT,
    )
