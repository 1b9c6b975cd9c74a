"""`ops scrape-metrics`: the guide's scaling triggers from Supabase's metrics endpoint (a stand-in with the
exporters' metric names) into CloudWatch (moto's server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ops.metrics.gauges import Scrape, cpu_percent, disk_percent
from tests.ops.helpers import ops
from tests.ops.metrics_standin import SERVICE_ROLE_KEY, serve_metrics


@pytest.fixture
def node():
    with serve_metrics() as running:
        yield running


def scrape(node, s3_endpoint, *extra: str) -> int:
    return ops(
        "scrape-metrics",
        "--metrics-url",
        node.url,
        "--stack",
        "prod",
        "--interval-seconds",
        "0",
        "--endpoint-url",
        s3_endpoint,
        "--region",
        "eu-central-1",
        *extra,
    )


def published(s3_endpoint: str, name: str) -> float:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AiPlatform/Supabase",
        MetricName=name,
        Dimensions=[{"Name": "Stack", "Value": "prod"}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return max(p["Maximum"] for p in points)


def test_each_trigger_lands_in_cloudwatch_as_a_percentage(node, s3_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_ROLE_KEY)
    assert scrape(node, s3_endpoint) == 0, capsys.readouterr().err
    assert node.scrapes == 2, "two scrapes: CPU is a counter"
    assert published(s3_endpoint, "CpuUtilization") == 85.0  # 8.5 busy of 10 seconds per CPU
    assert published(s3_endpoint, "MemoryUtilization") == 75.0
    assert published(s3_endpoint, "DiskUtilization") == 75.0, "the ext4 volume, not the tmpfs"
    assert published(s3_endpoint, "ConnectionUtilization") == 75.0  # 45 of 60, summed over databases
    assert "CpuUtilization 85%" in capsys.readouterr().out


def test_a_refused_key_or_an_answer_that_is_not_metrics_fails_with_the_reason(node, s3_endpoint, monkeypatch, capsys):
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", "not-the-key")
    assert scrape(node, s3_endpoint) == 1
    err = capsys.readouterr().err
    assert "HTTP 401 (the service-role key was refused)" in err and "not-the-key" not in err
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_ROLE_KEY)
    node.garbage = True
    assert scrape(node, s3_endpoint) == 1
    assert "not Prometheus text" in capsys.readouterr().err
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY")
    assert scrape(node, s3_endpoint) == 2


def test_a_scrape_without_a_metric_names_it():
    with pytest.raises(ValueError, match="no node_filesystem_avail_bytes"):
        disk_percent(Scrape.parse("# TYPE x gauge\nx 1\n"))


def test_cpu_counters_that_went_backwards_are_refused():
    before = Scrape.parse('node_cpu_seconds_total{cpu="0",mode="idle"} 100\n')
    after = Scrape.parse('node_cpu_seconds_total{cpu="0",mode="idle"} 50\n')
    with pytest.raises(ValueError, match="did not advance"):
        cpu_percent(before, after)


# ------------------------------------------------------------------ --backup-bucket: BackupAgeHours by hand
# Each test its own bucket (conftest's `bucket`) and that name as its stack: the moto server is shared.
def backup_folder(s3, bucket: str, hours_ago: float, *, complete: bool) -> None:
    stamp = (datetime.now(UTC) - timedelta(hours=hours_ago)).strftime("%Y%m%dT%H%M%SZ")
    s3.put_object(Bucket=bucket, Key=f"backups/{bucket}/{stamp}/database.dump", Body=b"dump")
    if complete:
        s3.put_object(Bucket=bucket, Key=f"backups/{bucket}/{stamp}/manifest.json", Body=b"{}")


def scrape_backups(bucket: str, endpoint: str, *extra: str) -> int:
    return ops(
        "scrape-metrics",
        "--backup-bucket",
        bucket,
        "--stack",
        bucket,
        "--endpoint-url",
        endpoint,
        "--region",
        "eu-central-1",
        *extra,
    )


def backup_ages(s3_endpoint: str, stack: str) -> list[float]:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    now = datetime.now(UTC)
    return [
        point["Maximum"]
        for point in cloudwatch.get_metric_statistics(
            Namespace="AiPlatform/Supabase",
            MetricName="BackupAgeHours",
            Dimensions=[{"Name": "Stack", "Value": stack}],
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=1),
            Period=60,
            Statistics=["Maximum"],
        )["Datapoints"]
    ]


def test_backup_bucket_publishes_the_newest_complete_backups_age(s3, bucket, s3_endpoint, capsys):
    """The figure the backup-age alarm watches; a newer folder without its manifest is no backup."""
    backup_folder(s3, bucket, 30, complete=True)
    backup_folder(s3, bucket, 5, complete=True)
    backup_folder(s3, bucket, 1, complete=False)
    assert scrape_backups(bucket, s3_endpoint) == 0, capsys.readouterr().err
    [age] = backup_ages(s3_endpoint, bucket)
    assert 4.99 <= age <= 5.02
    assert "BackupAgeHours 5" in capsys.readouterr().out


def test_a_bucket_without_a_complete_backup_publishes_nothing_and_says_so(s3, bucket, s3_endpoint, capsys):
    backup_folder(s3, bucket, 2, complete=False)
    assert scrape_backups(bucket, s3_endpoint) == 0
    err = capsys.readouterr().err
    assert f"no complete backup (a folder with its manifest) under s3://{bucket}/backups/{bucket}/" in err
    assert backup_ages(s3_endpoint, bucket) == [], "silence, which the backup-age-silent alarm counts"


def test_a_bucket_that_cannot_be_listed_fails_naming_it(s3_endpoint, capsys):
    assert scrape_backups("no-such-backups", s3_endpoint) == 1
    assert "the backup bucket 'no-such-backups' could not be listed (NoSuchBucket)" in capsys.readouterr().err


def test_the_backup_bucket_may_live_behind_its_own_endpoint(s3, bucket, s3_endpoint, capsys):
    """--backup-endpoint-url reaches the bucket while CloudWatch stays at --endpoint-url (here unreachable): the
    listing succeeds and only the publishing fails."""
    backup_folder(s3, bucket, 3, complete=True)
    assert scrape_backups(bucket, "http://127.0.0.1:9", "--backup-endpoint-url", s3_endpoint) == 1
    err = capsys.readouterr().err
    assert "CloudWatch refused the metrics" in err and "could not be listed" not in err


def test_without_any_source_the_command_says_which_options_it_needs(capsys):
    assert ops("scrape-metrics", "--stack", "prod") == 2
    assert "--backup-bucket" in capsys.readouterr().err
