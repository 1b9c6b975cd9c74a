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
