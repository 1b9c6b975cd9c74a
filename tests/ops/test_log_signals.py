"""The log signals of guide 000 section 7.2 (edge function error rate, failed sign-ins): the scraper asks the
Management API's logs endpoint (the stand-in validates each request and answer against the official spec) for
the last whole five minutes, and publishes them to CloudWatch (moto's server); the scheduled function does the
same with its keys from Secrets Manager."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ops.metrics import lambda_handler
from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import log_signals, window_ending
from tests.ops.helpers import ops
from tests.ops.metrics_standin import SERVICE_ROLE_KEY, serve_metrics
from tests.supabase.fake_api import FakeSupabase


@pytest.fixture
def fake() -> Iterator[FakeSupabase]:
    running = FakeSupabase().start()
    try:
        yield running
    finally:
        running.stop()
    assert not running.violations, "\n".join(running.violations)


def seed(fake: FakeSupabase, database_url: str | None = None):
    """A project whose last whole five minutes held 40 function calls (3 failed with 5xx, 5 refused with 4xx)
    and 12 refused sign-ins; the five minutes before held failures that are not this run's to count. Its
    database (for the read-only SQL endpoint's statement figures) is `database_url`."""
    project = fake.add_project("assistant", database_url=database_url)
    _, end = window_ending(datetime.now(UTC))
    inside, before = end - timedelta(minutes=2), end - timedelta(minutes=7)
    project.logs.call_functions(inside, *[200] * 32, 400, 401, 401, 404, 422)
    for client, status in (("203.0.113.1", 500), ("203.0.113.2", 502), ("203.0.113.3", 546)):
        project.logs.call_functions(inside, status, client=client)
    project.logs.call_functions(before, *[500] * 30)
    for n in range(12):
        project.logs.auth(inside, "/token", 429 if n == 11 else 400, client=f"192.0.2.{n % 4}")
    project.logs.auth(inside, "/token", 200, 200)
    project.logs.auth(inside, "/signup", 422)  # a refused sign-up is not a failed sign-in
    project.logs.auth(before, "/token", *[400] * 50)
    return project


def published(endpoint: str, name: str, stack: str = "prod") -> list[float]:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="eu-central-1")
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AiPlatform/Supabase",
        MetricName=name,
        Dimensions=[{"Name": "Stack", "Value": stack}],
        StartTime=now - timedelta(minutes=20),
        EndTime=now + timedelta(minutes=1),
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return [p["Maximum"] for p in points]


def scrape_logs(fake: FakeSupabase, ref: str, endpoint: str) -> int:
    return ops(
        "scrape-metrics",
        "--project-ref",
        ref,
        "--management-api-url",
        fake.url,
        "--stack",
        "prod",
        "--endpoint-url",
        endpoint,
        "--region",
        "eu-central-1",
    )


def test_error_rate_and_failed_sign_ins_of_the_last_five_minutes_land_in_cloudwatch(
    fake, migrated_url, s3_endpoint, monkeypatch, capsys
):
    project = seed(fake, migrated_url)
    monkeypatch.setenv("SUPABASE_LOGS_ACCESS_TOKEN", fake.token)
    assert scrape_logs(fake, project.ref, s3_endpoint) == 0, capsys.readouterr().err
    assert published(s3_endpoint, "FunctionErrorRate") == [7.5], "3 of 40 answered 5xx; a 4xx is the caller's"
    assert published(s3_endpoint, "FunctionInvocations") == [40.0]
    assert published(s3_endpoint, "FailedSignIns") == [12.0], "refused /token answers, 429 included"
    assert published(s3_endpoint, "FailedSignInSources") == [4.0]
    assert published(s3_endpoint, "FailedSignInsFromManySources") == [12.0], "four addresses: enough to alarm"
    assert published(s3_endpoint, "FunctionErrorRateFromManySources") == [7.5], "three clients got the 5xx"
    assert fake.count("v1-get-project-logs") == 5, "error rate and its sources, sign-ins, per-function, gateway"
    assert published(s3_endpoint, "SlowStatements") == [0.0], "the statement figures through the read-only SQL"
    assert "FunctionErrorRate 7.5%" in capsys.readouterr().out


def test_a_quiet_window_publishes_no_error_rate_rather_than_zero(fake):
    project = fake.add_project("assistant")
    values = log_signals(fake.url, fake.token, project.ref, datetime.now(UTC))
    assert values == {
        "FunctionInvocations": 0,
        "FunctionErrors": 0,
        "FunctionErrorSources": 0,
        "FailedSignIns": 0,
        "FailedSignInSources": 0,
        "FailedSignInsFromManySources": 0,
    }


def test_one_client_alone_cannot_raise_the_alarmed_figures(fake):
    """One address guessing passwords 500 times and provoking 5xx on every call: both raw figures show it (the
    dashboard), the figures the alarms watch stay 0. Two more addresses joining in make it a platform signal."""
    project = fake.add_project("assistant")
    _, end = window_ending(datetime.now(UTC))
    inside = end - timedelta(minutes=2)
    project.logs.auth(inside, "/token", *[400] * 500, client="203.0.113.66")
    project.logs.call_functions(inside, *[500] * 80, *[200] * 20, client="203.0.113.66")
    values = log_signals(fake.url, fake.token, project.ref, datetime.now(UTC))
    assert (values["FailedSignIns"], values["FailedSignInSources"], values["FailedSignInsFromManySources"]) == (
        500,
        1,
        0,
    )
    assert (values["FunctionErrorRate"], values["FunctionErrorSources"]) == (80.0, 1)
    assert values["FunctionErrorRateFromManySources"] == 0.0

    for client in ("198.51.100.1", "198.51.100.2"):
        project.logs.auth(inside, "/token", 400, client=client)
        project.logs.call_functions(inside, 500, client=client)
    values = log_signals(fake.url, fake.token, project.ref, datetime.now(UTC))
    assert values["FailedSignInsFromManySources"] == 502 and values["FailedSignInSources"] == 3
    assert values["FunctionErrorRateFromManySources"] == values["FunctionErrorRate"] > 80
    stricter = log_signals(
        fake.url,
        fake.token,
        project.ref,
        datetime.now(UTC),
        failed_sign_ins_min_sources=4,
        function_errors_min_sources=4,
    )
    assert stricter["FailedSignInsFromManySources"] == 0 and stricter["FunctionErrorRateFromManySources"] == 0


def test_the_window_is_whole_minutes_that_consecutive_runs_share_no_event_of():
    first = window_ending(datetime(2026, 12, 1, 10, 4, 59, tzinfo=UTC))
    second = window_ending(datetime(2026, 12, 1, 10, 9, 2, tzinfo=UTC))
    assert first == (datetime(2026, 12, 1, 9, 59, tzinfo=UTC), datetime(2026, 12, 1, 10, 4, tzinfo=UTC))
    assert second[0] == datetime(2026, 12, 1, 10, 4, tzinfo=UTC) == first[1]


def test_a_refused_token_or_a_refused_query_fails_with_the_reason_and_never_the_token(
    fake, s3_endpoint, monkeypatch, capsys
):
    project = seed(fake)
    monkeypatch.setenv("SUPABASE_LOGS_ACCESS_TOKEN", "sbp_not_the_token_0123456789")
    assert scrape_logs(fake, project.ref, s3_endpoint) == 1
    err = capsys.readouterr().err
    assert "HTTP 401 (the logs access token was refused" in err and "sbp_not_the_token" not in err
    monkeypatch.setattr("ops.metrics.log_signals.FAILED_SIGN_INS_SQL", "select 1 from nowhere")
    monkeypatch.setenv("SUPABASE_LOGS_ACCESS_TOKEN", fake.token)
    assert scrape_logs(fake, project.ref, s3_endpoint) == 1
    assert "the logs query was refused: the stand-in knows only" in capsys.readouterr().err
    monkeypatch.delenv("SUPABASE_LOGS_ACCESS_TOKEN")
    assert scrape_logs(fake, project.ref, s3_endpoint) == 2


def test_rate_limited_logs_are_a_failed_run_not_a_zero(fake):
    project = seed(fake)
    fake.inject("v1-get-project-logs", "429")
    with pytest.raises(MetricsError, match="HTTP 429"):
        log_signals(fake.url, fake.token, project.ref, datetime.now(UTC))


@pytest.fixture
def lambda_environment(fake, migrated_url, s3_endpoint, monkeypatch):
    """The function's environment as components/database_metrics.py sets it, its keys in Secrets Manager."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    secrets = boto3.client("secretsmanager")
    project = seed(fake, migrated_url)
    key = secrets.create_secret(Name=f"key-{project.ref}", SecretString=SERVICE_ROLE_KEY)["ARN"]
    token = secrets.create_secret(Name=f"token-{project.ref}", SecretString=fake.token)["ARN"]
    with serve_metrics() as node:
        monkeypatch.setenv("METRICS_URL", node.url)
        # A stack of its own: moto's CloudWatch lives for the session, other tests publish as prod.
        for name, value in {
            "STACK": f"lambda-{project.ref}",
            "SERVICE_ROLE_KEY_SECRET": key,
            "LOGS_TOKEN_SECRET": token,
            "MANAGEMENT_API_URL": fake.url,
            "PROJECT_REF": project.ref,
            "SLOW_QUERY_MILLISECONDS": "0.001",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr("ops.metrics.scrape.time.sleep", lambda _seconds: None)
        yield node


def values_stack() -> str:
    import os

    return os.environ["STACK"]


def test_the_scheduled_function_publishes_both_kinds_from_its_secrets(lambda_environment, s3_endpoint):
    values = lambda_handler.handler({}, None)
    assert values["CpuUtilization"] == 85.0 and values["FunctionErrorRate"] == 7.5 and values["FailedSignIns"] == 12
    assert published(s3_endpoint, "FailedSignIns", values_stack()) == [12.0]
    assert published(s3_endpoint, "CpuUtilization", values_stack()) == [85.0]
    # SLOW_QUERY_MILLISECONDS (alerts.slowQueryMilliseconds) reaches the figures: at 0.001 ms most are slow.
    assert values["SlowStatements"] > 0 and published(s3_endpoint, "SlowStatements", values_stack()) == [
        values["SlowStatements"]
    ]


def test_the_statement_figures_failing_keep_nothing_else_from_cloudwatch(lambda_environment, fake, s3_endpoint):
    next(iter(fake.projects.values())).database_url = None  # the read-only SQL endpoint refuses
    with pytest.raises(MetricsError, match=r"statement figures: .*HTTP 400") as failure:
        lambda_handler.handler({}, None)
    assert "database metrics" not in str(failure.value) and "log signals" not in str(failure.value)
    assert published(s3_endpoint, "FunctionErrorRate", values_stack()) == [7.5]
    assert published(s3_endpoint, "CpuUtilization", values_stack()) == [85.0]


def test_one_failing_source_does_not_keep_the_other_from_cloudwatch(lambda_environment, fake, s3_endpoint):
    lambda_environment.garbage = True  # the database's endpoint breaks; the logs still count
    with pytest.raises(MetricsError, match=r"database metrics: .*not Prometheus text") as failure:
        lambda_handler.handler({}, None)
    assert fake.token not in str(failure.value) and SERVICE_ROLE_KEY not in str(failure.value)
    assert published(s3_endpoint, "FunctionErrorRate", values_stack()) == [7.5]
    assert published(s3_endpoint, "CpuUtilization", values_stack()) == []
