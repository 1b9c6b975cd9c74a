"""`ops storage sweep`: the dry-run report an operator reads, and the counts a real run puts in the metrics."""

from __future__ import annotations

import boto3
import psycopg
import pytest
from moto import mock_aws

from ops.cli import main
from tests.lifecycle.objects import new_user, object_names, put_object
from tests.lifecycle.storage_standin import SERVICE_KEY, StorageStandIn


@pytest.fixture
def orphans(lifecycle_db: str) -> list[str]:
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        names = [f"{user}/o/{i}.pdf" for i in range(3)]
        for name in names:
            put_object(conn, "documents", name, size=100)
    return names


def test_dry_run_lists_the_orphans_and_changes_nothing(
    lifecycle_db: str, orphans: list[str], capsys: pytest.CaptureFixture[str]
):
    assert main(["storage", "sweep", "--dry-run", "--database-url", lifecycle_db]) == 0
    out = capsys.readouterr().out
    assert "documents: 3 objects scanned, 3 orphans (300 bytes): 3 no document" in out
    assert all(f"documents/{name}" in out for name in orphans)
    assert "documents: would remove 0 (failed document)" in out
    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == set(orphans)


def test_a_sweep_removes_them_and_puts_its_counts_in_cloudwatch(
    lifecycle_db: str,
    orphans: list[str],
    storage: StorageStandIn,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("SUPABASE_URL", storage.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        code = main(
            [
                "storage",
                "sweep",
                "--database-url",
                lifecycle_db,
                "--publish-metrics",
                "--stack",
                "staging",
                "--region",
                "eu-central-1",
            ]
        )
        cloudwatch = boto3.client("cloudwatch", region_name="eu-central-1")
        found = {
            m["MetricName"]
            for m in cloudwatch.list_metrics(Namespace="AiPlatform/Supabase")["Metrics"]
            if m["Dimensions"] == [{"Name": "Stack", "Value": "staging"}]
        }
        stats = cloudwatch.get_metric_statistics(
            Namespace="AiPlatform/Supabase",
            MetricName="StorageObjectsRemoved",
            Dimensions=[{"Name": "Stack", "Value": "staging"}],
            StartTime="2000-01-01",
            EndTime="2100-01-01",
            Period=86400,
            Statistics=["Sum"],
        )
    assert code == 0, capsys.readouterr()
    assert "Storage removed 3 objects" in capsys.readouterr().out
    assert {"StorageOrphansFound", "StorageObjectsRemoved"} <= found
    assert sum(point["Sum"] for point in stats["Datapoints"]) == 3
    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == set()


def test_a_sweep_without_the_storage_key_is_refused_by_name(
    lifecycle_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    assert main(["storage", "sweep", "--database-url", lifecycle_db]) == 1
    assert "SUPABASE_SERVICE_ROLE_KEY" in capsys.readouterr().err
