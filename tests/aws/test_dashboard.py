"""The stack's CloudWatch dashboard: accepted by CloudWatch's PutDashboard (moto), every alarm of the stack on it,
and no widget pointing at nothing: each metric it names in the scraper's namespace is one a run of the
scheduled scraper published (against the metrics, logs and read-only SQL stand-ins and a migrated database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

import dbmigrate
from components.database_metrics import NAMESPACE
from ops.engineless.program import ProgramRun, run_program
from ops.engineless.provider_host import Secret
from ops.localdb import LocalDatabase
from ops.metrics import lambda_handler
from ops.metrics import provider_spend as spend_meter
from ops.metrics.log_signals import window_ending
from providers.supabase.function_bundle import discover_functions
from tests.aws.aws_mocks import WholeProgramMocks
from tests.aws.helpers import all_of, one
from tests.conftest import PROJECT_ROOT
from tests.harness.loopback_server import serve_on_loopback
from tests.harness.postgrest_rpc import SERVICE_KEY as RPC_KEY
from tests.harness.postgrest_rpc import spend_rpc
from tests.ops.metrics_standin import SERVICE_ROLE_KEY, serve_metrics
from tests.supabase.fake_api import FakeSupabase

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
FUNCTIONS = discover_functions(PROJECT_ROOT / "functions")


@pytest.fixture(scope="module")
def prod_with_logs() -> ProgramRun:
    return run_program(
        "prod",
        {
            "supabaseLogsAccessToken": Secret("sbp_logs_reader_0123456789abcdef"),
            "alerts": {"enabled": True, "emails": ["ops@example.com"]},
        },
        mocks=WholeProgramMocks(),
    )


def body_of(run: ProgramRun) -> dict[str, Any]:
    return json.loads(one(run, DASHBOARD).inputs["dashboardBody"])


def our_metrics(body: dict[str, Any]) -> set[tuple[str, frozenset[tuple[str, str]]]]:
    """(metric name, dimensions) of every metric in the scraper's namespace the body names."""
    found = set()
    for widget in body["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if metric and metric[0] == NAMESPACE:
                plain = [part for part in metric if not isinstance(part, dict)]
                found.add((plain[1], frozenset(zip(plain[2::2], plain[3::2], strict=True))))
    return found


def test_put_dashboard_accepts_the_body_and_gives_it_back(prod_with_logs):
    dashboard = one(prod_with_logs, DASHBOARD)
    with mock_aws():
        cloudwatch = boto3.client("cloudwatch", region_name="eu-central-1")
        answer = cloudwatch.put_dashboard(
            DashboardName=dashboard.inputs["dashboardName"], DashboardBody=dashboard.inputs["dashboardBody"]
        )
        assert answer["DashboardValidationMessages"] == []
        stored = cloudwatch.get_dashboard(DashboardName=dashboard.inputs["dashboardName"])
    assert json.loads(stored["DashboardBody"]) == body_of(prod_with_logs)
    assert dashboard.inputs["dashboardName"] == "ai-platform-prod"
    assert prod_with_logs.outputs["dashboardName"] == "ai-platform-prod"


def test_the_layout_fits_the_grid_and_no_two_widgets_overlap(prod_with_logs):
    cells: set[tuple[int, int]] = set()
    for widget in body_of(prod_with_logs)["widgets"]:
        assert widget["x"] >= 0 and widget["x"] + widget["width"] <= 24, widget["properties"].get("title")
        taken = {
            (x, y)
            for x in range(widget["x"], widget["x"] + widget["width"])
            for y in range(widget["y"], widget["y"] + widget["height"])
        }
        assert not taken & cells, f"{widget['properties'].get('title')} overlaps another widget"
        cells |= taken


def test_every_alarm_of_the_stack_is_on_the_dashboard(prod_with_logs):
    alarms = {alarm.outputs["arn"] for alarm in all_of(prod_with_logs, "aws:cloudwatch/metricAlarm:MetricAlarm")}
    [status] = [w for w in body_of(prod_with_logs)["widgets"] if w["type"] == "alarm"]
    assert set(status["properties"]["alarms"]) == alarms
    assert len(alarms) >= 12, "CDN, backups, health, database gauges, log signals, slow statements, scraper"


def test_the_backup_age_alarms_are_in_the_status_widget(prod_with_logs):
    [status] = [w for w in body_of(prod_with_logs)["widgets"] if w["type"] == "alarm"]
    for name in ("database-metrics-backup-age", "database-metrics-backup-age-silent"):
        assert one(prod_with_logs, "aws:cloudwatch/metricAlarm:MetricAlarm", name).outputs["arn"] in set(
            status["properties"]["alarms"]
        ), name


def test_each_function_has_calls_error_rate_and_p50_p95(prod_with_logs):
    titles = {w["properties"].get("title") for w in body_of(prod_with_logs)["widgets"]}
    for function in FUNCTIONS:
        assert {f"{function}: calls", f"{function}: error rate (%)", f"{function}: execution time (ms)"} <= titles
    durations = [
        m
        for w in body_of(prod_with_logs)["widgets"]
        for m in w["properties"].get("metrics", [])
        if m and m[0] == NAMESPACE and m[1] == "FunctionDuration"
    ]
    assert {m[-1]["stat"] for m in durations} == {"p50", "p95"}


def test_aws_metrics_point_at_the_stacks_own_resources(prod_with_logs):
    distributions = {d.id for d in all_of(prod_with_logs, "aws:cloudfront/distribution:Distribution")}
    health = one(prod_with_logs, "aws:route53/healthCheck:HealthCheck").id
    backup = one(prod_with_logs, "aws:codebuild/project:Project").outputs["name"]
    named: dict[str, set[str]] = {"DistributionId": set(), "HealthCheckId": set(), "ProjectName": set()}
    for widget in body_of(prod_with_logs)["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            plain = [part for part in metric if not isinstance(part, dict)]
            for key, value in zip(plain[2::2], plain[3::2], strict=True):
                if key in named:
                    named[key].add(value)
    assert named == {"DistributionId": distributions, "HealthCheckId": {health}, "ProjectName": {backup}}


@pytest.fixture
def scraper_run(pg_cluster: LocalDatabase, monkeypatch: pytest.MonkeyPatch) -> Iterator[set[Any]]:
    """One run of the scheduled scraper and of the spend meter for stack prod, every source answering, every
    function called, a unit spent, a backup in the bucket; the (name, dimensions) of what they published."""
    name = "dashboard_check"
    url = pg_cluster.create_database(name)
    dbmigrate.apply(url, PROJECT_ROOT / "sql" / "migrations")
    pg_cluster.psql(
        "set session_replication_role = replica; insert into private.spend_ledger (user_id, unit, day, quantity, "
        "source) values (gen_random_uuid(), 'ocr_pages', (now() at time zone 'utc')::date, 10, 'test')",
        dbname=name,
    )
    fake = FakeSupabase().start()
    try:
        project = fake.add_project("assistant", database_url=url)
        _, end = window_ending(datetime.now(UTC))
        for function in FUNCTIONS:
            project.logs.call_functions(end - timedelta(minutes=2), 200, 500, function=function)
        project.logs.gateway(end - timedelta(minutes=2), 200)
        with mock_aws(), serve_metrics() as node, serve_on_loopback(spend_rpc(url)) as rest:
            monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
            secrets = boto3.client("secretsmanager")
            key = secrets.create_secret(Name="key", SecretString=SERVICE_ROLE_KEY)["ARN"]
            token = secrets.create_secret(Name="token", SecretString=fake.token)["ARN"]
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket="backups", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
            s3.put_object(Bucket="backups", Key="backups/prod/20261207T020000Z/manifest.json", Body=b"{}")
            for variable, value in {
                "METRICS_URL": node.url,
                "STACK": "prod",
                "SERVICE_ROLE_KEY_SECRET": key,
                "LOGS_TOKEN_SECRET": token,
                "MANAGEMENT_API_URL": fake.url,
                "PROJECT_REF": project.ref,
                "BACKUP_BUCKET": "backups",
            }.items():
                monkeypatch.setenv(variable, value)
            monkeypatch.setattr("ops.metrics.scrape.time.sleep", lambda _seconds: None)
            assert "BackupAgeHours" in lambda_handler.handler({}, None)
            spend_key = secrets.create_secret(Name="spend-key", SecretString=RPC_KEY)["ARN"]
            monkeypatch.setenv("SUPABASE_URL", rest)
            monkeypatch.setenv("SERVICE_ROLE_KEY_SECRET", spend_key)
            assert spend_meter.handler({}, None) == {"ALL": 0.015, "ocr_pages": 0.015}
            listed = boto3.client("cloudwatch").get_paginator("list_metrics").paginate(Namespace=NAMESPACE)
            yield {
                (m["MetricName"], frozenset((d["Name"], d["Value"]) for d in m["Dimensions"]))
                for page in listed
                for m in page["Metrics"]
            }
    finally:
        fake.stop()
        pg_cluster.drop_database(name)


def test_every_metric_the_dashboard_names_is_one_the_scraper_publishes(prod_with_logs, scraper_run):
    named = our_metrics(body_of(prod_with_logs))
    assert len(named) > 3 * len(FUNCTIONS), "per-function metrics are on the dashboard"
    missing = sorted((name, sorted(dims)) for name, dims in named - scraper_run)
    assert not missing, f"widgets pointing at nothing: {missing}"


def test_without_the_logs_token_the_dashboard_names_only_the_gauges_spend_and_backup_age(prod):
    named = {name for name, _ in our_metrics(body_of(prod))}
    assert named == {
        "CpuUtilization",
        "MemoryUtilization",
        "DiskUtilization",
        "ConnectionUtilization",
        "ProviderSpendUsd",
        "BackupAgeHours",
    }


def test_backup_age_is_on_the_dashboard_with_the_alarms_limit(prod_with_logs):
    [widget] = [w for w in body_of(prod_with_logs)["widgets"] if w["properties"]["title"].startswith("Backups: hours")]
    [metric] = widget["properties"]["metrics"]
    assert metric[:4] == [NAMESPACE, "BackupAgeHours", "Stack", "prod"]
    [limit] = widget["properties"]["annotations"]["horizontal"]
    assert limit["value"] == 26, "backup.maxHoursWithoutSuccess, where backup-missing fires"


def test_spend_comes_from_the_meter_in_total_and_per_unit(prod_with_logs):
    """The ledger's figures the daily spend alarm compares: the total by name, each unit by a search (a unit
    appears on the page the first day it is spent)."""
    [widget] = [w for w in body_of(prod_with_logs)["widgets"] if "spend" in w["properties"]["title"].lower()]
    total, search = widget["properties"]["metrics"]
    assert total[:6] == [NAMESPACE, "ProviderSpendUsd", "Stack", "prod", "Unit", "ALL"]
    assert 'MetricName="ProviderSpendUsd" Stack="prod" NOT Unit="ALL"' in search[0]["expression"]
    named = {name for name, _ in our_metrics(body_of(prod_with_logs))}
    assert "ProviderSpendTodayUsd" not in named, "usage_metrics' cost_usd is no longer a spend figure"
