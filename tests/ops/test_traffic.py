"""Each function's calls, 5xx answers and execution times, and the API gateway's requests, 5xx and latency,
from the logs endpoint (the stand-in answers as Supabase's function_edge_logs and edge_logs would for the
events a test puts in them) into CloudWatch (moto's server) as value/count pairs CloudWatch computes
percentiles from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from ops.metrics.gauges import MetricsError
from ops.metrics.log_signals import window_ending
from ops.metrics.traffic import MAX_DISTINCT_VALUES, Traffic, function_traffic, publish_traffic
from tests.supabase.fake_api import FakeSupabase


@pytest.fixture
def fake():
    running = FakeSupabase().start()
    try:
        yield running
    finally:
        running.stop()
    assert not running.violations, "\n".join(running.violations)


def stats(endpoint: str, stack: str, name: str, function: str | None = None) -> dict[str, float]:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint, region_name="eu-central-1")
    dimensions = [{"Name": "Stack", "Value": stack}]
    if function:
        dimensions.append({"Name": "FunctionName", "Value": function})
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AiPlatform/Supabase",
        MetricName=name,
        Dimensions=dimensions,
        StartTime=now - timedelta(minutes=20),
        EndTime=now + timedelta(minutes=1),
        Period=3600,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum"],
    )["Datapoints"]
    assert len(points) <= 1, points
    return {key: points[0][key] for key in ("SampleCount", "Sum", "Minimum", "Maximum")} if points else {}


def test_each_function_and_the_gateway_publish_calls_errors_and_durations(fake, s3_endpoint):
    project = fake.add_project("assistant")
    now = datetime.now(UTC)
    _, end = window_ending(now)
    inside, before = end - timedelta(minutes=1), end - timedelta(minutes=8)
    logs = project.logs
    logs.call_functions(inside, *[200] * 18, function="ai-chat", duration_ms=244)  # rounds to 240
    logs.call_functions(inside, 500, 503, function="ai-chat", duration_ms=1249)  # rounds to 1200
    logs.call_functions(inside, *[200] * 5, function="health-check", duration_ms=12)
    logs.call_functions(before, *[500] * 9, function="health-check", duration_ms=9000)  # not this window
    logs.gateway(inside, *[200] * 30, origin_ms=35)
    logs.gateway(inside, 502, origin_ms=3000)
    stack = "traffic-a"
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    publish_traffic(fake.url, fake.token, project.ref, stack, cloudwatch, namespace="AiPlatform/Supabase", now=now)

    assert stats(s3_endpoint, stack, "FunctionCalls", "ai-chat")["Sum"] == 20
    assert stats(s3_endpoint, stack, "Function5xx", "ai-chat")["Sum"] == 2
    duration = stats(s3_endpoint, stack, "FunctionDuration", "ai-chat")
    assert duration == {"SampleCount": 20, "Sum": 18 * 240 + 2 * 1200, "Minimum": 240, "Maximum": 1200}
    assert stats(s3_endpoint, stack, "Function5xx", "health-check")["Sum"] == 0, "the earlier window's 5xx"
    assert stats(s3_endpoint, stack, "FunctionDuration", "health-check")["Maximum"] == 10
    assert stats(s3_endpoint, stack, "ApiRequests")["Sum"] == 31
    assert stats(s3_endpoint, stack, "Api5xx")["Sum"] == 1
    assert stats(s3_endpoint, stack, "ApiLatency") == {
        "SampleCount": 31,
        "Sum": 30 * 40 + 3000,
        "Minimum": 40,
        "Maximum": 3000,
    }


def test_a_quiet_window_publishes_zero_calls_and_no_latency(fake, s3_endpoint):
    project = fake.add_project("assistant")
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    values = publish_traffic(
        fake.url,
        fake.token,
        project.ref,
        "traffic-quiet",
        cloudwatch,
        namespace="AiPlatform/Supabase",
        now=datetime.now(UTC),
    )
    assert values == {"ApiRequests": 0, "Api5xx": 0}
    assert stats(s3_endpoint, "traffic-quiet", "ApiRequests")["Sum"] == 0
    assert stats(s3_endpoint, "traffic-quiet", "ApiLatency") == {}


def test_more_durations_than_cloudwatch_takes_merge_into_the_slowest_kept_value():
    traffic = Traffic()
    for ms in range(0, 2000 * 10, 10):
        traffic.add(float(ms), 1, 0)
    values, counts = traffic.histogram()
    assert len(values) == MAX_DISTINCT_VALUES and sum(counts) == 2000, "no call is dropped"
    assert counts[-1] == 2000 - (MAX_DISTINCT_VALUES - 1)


def test_an_answer_with_more_errors_than_calls_is_refused(fake, monkeypatch):
    project = fake.add_project("assistant")
    project.logs.call_functions(datetime.now(UTC) - timedelta(minutes=2), 500)
    monkeypatch.setattr(
        "tests.supabase.fake_logs._grouped",
        lambda *_args: [{"function_name": "ai-chat", "duration_ms": 10, "calls": 1, "errors": 3}],
    )
    with pytest.raises(MetricsError, match="3 errors in 1 calls"):
        function_traffic(fake.url, fake.token, project.ref, datetime.now(UTC))
