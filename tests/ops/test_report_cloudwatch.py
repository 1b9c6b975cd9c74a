"""`ops report --cloudwatch`: the weekly review reads the dashboard's own figures back from CloudWatch
(GetMetricData against moto's server), as the scraper, the spend meter and the backup age publish them, so the page
and the dashboard show the same numbers; and every figure it asks for is one the dashboard names."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from components.dashboard import dashboard_body
from ops.metrics.provider_spend import publish_spend
from ops.metrics.scrape import NAMESPACE
from ops.metrics.traffic import Traffic, traffic_metric_data
from ops.report.cloudwatch import read_cloudwatch_figures, report_queries
from tests.ops.helpers import ops
from tests.ops.test_report import Page


def traffic(calls: int, errors: int, ms: float) -> Traffic:
    t = Traffic()
    t.add(ms, calls, errors)
    return t


@pytest.fixture
def published(s3_endpoint: str) -> tuple[Any, str, datetime]:
    """Two days of two functions' traffic, the gateway, spend, CPU and the backup age, for a stack of its own
    (moto's CloudWatch is shared by the session)."""
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    stack = f"review-{uuid.uuid4().hex[:8]}"
    # A few seconds back: GetMetricData's EndTime is exclusive and moto compares whole seconds, so a point stamped in
    # the second `ops report` reads (the database fixture already warm) would be left out of its page.
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
    yesterday = now - timedelta(days=1)
    for moment, chat, search in (
        (yesterday, traffic(40, 2, 300), traffic(10, 0, 50)),
        (now, traffic(20, 5, 500), None),
    ):
        functions = {"ai-chat": chat, **({"search-engine": search} if search else {})}
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE, MetricData=traffic_metric_data(functions, traffic(100, 1, 40), stack, moment)
        )
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[
                {"MetricName": "CpuUtilization", "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": 61.5,
                 "Timestamp": moment, "Unit": "Percent"},
                {"MetricName": "BackupAgeHours", "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": 9.0,
                 "Timestamp": moment, "Unit": "None"},
            ],
        )  # fmt: skip
    publish_spend({"ocr_pages": 1.5, "translation_characters": 0.5}, stack, cloudwatch, yesterday)
    publish_spend({"ocr_pages": 0.25}, stack, cloudwatch, now - timedelta(minutes=30))
    publish_spend({"ocr_pages": 0.75}, stack, cloudwatch, now)  # the running total rises through the day
    return cloudwatch, stack, now


def test_the_figures_read_back_are_the_ones_published(published):
    cloudwatch, stack, now = published
    figures = read_cloudwatch_figures(cloudwatch, stack, days=7, now=now + timedelta(minutes=1), percentiles=False)
    today, yesterday = now.date(), (now - timedelta(days=1)).date()
    chat = {d.day: d for d in figures.function_days if d.function == "ai-chat"}
    assert (chat[yesterday].calls, chat[yesterday].errors, chat[yesterday].error_percent) == (40, 2, 5.0)
    assert (chat[today].calls, chat[today].error_percent, chat[today].average_ms) == (20, 25.0, 500.0)
    assert [(d.day, d.calls) for d in figures.function_days if d.function == "search-engine"] == [(yesterday, 10)]
    assert figures.per_day["ProviderSpendUsd"] == {yesterday: 2.0, today: 0.75}, "the day's total at its high"
    assert figures.per_day["ApiRequests"] == {yesterday: 100, today: 100}
    assert figures.per_day["CpuUtilization"][today] == 61.5
    assert figures.backup_age_hours == 9.0


def test_ops_report_with_cloudwatch_puts_the_dashboards_figures_on_the_page(published, migrated_url, tmp_path, capsys):
    cloudwatch, stack, _ = published
    output = tmp_path / "review.html"
    endpoint = cloudwatch.meta.endpoint_url
    arguments = ["report", "--database-url", migrated_url, "--output", output, "--stack", stack]
    cloud = ["--cloudwatch", "--no-percentiles", "--endpoint-url", endpoint, "--region", "eu-central-1"]
    assert ops(*arguments, *cloud) == 0, capsys.readouterr().err
    page = Page()
    page.feed(output.read_text())
    text = " ".join(page.cells)
    assert "The dashboard's figures (CloudWatch)" in text
    assert "ai-chat" in text and "search-engine" in text and "25.0" in text, "today's 5 of 20 calls answered 5xx"
    assert "2.0000" in text and "0.7500" in text, "spend per day as the meter published it"
    assert "9.0 h" in text, "the newest backup's age"

    assert ops(*arguments) == 0
    assert "CloudWatch" not in output.read_text(), "without --cloudwatch the page reads the database only"


def test_an_unreachable_cloudwatch_is_refused_with_the_reason(migrated_url, tmp_path, capsys):
    arguments = ["report", "--database-url", migrated_url, "--output", tmp_path / "r.html", "--stack", "prod"]
    assert ops(*arguments, "--cloudwatch", "--endpoint-url", "http://127.0.0.1:1", "--region", "eu-central-1") == 1
    assert "CloudWatch: the stack's metrics could not be listed" in capsys.readouterr().err


def test_every_figure_the_review_asks_for_is_one_the_dashboard_names():
    functions = ["ai-chat", "search-engine"]
    body = dashboard_body(
        stack="prod",
        region="eu-central-1",
        alarm_arns=[],
        function_names=functions,
        distributions=[],
        backup_project_name=None,
        health_check_id=None,
        database_metrics=True,
        logs_metrics=True,
        provider_spend=True,
        backup_age_hours_limit=26,
    )
    named = set()
    for widget in body["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if metric and metric[0] == NAMESPACE:
                plain = [part for part in metric if not isinstance(part, dict)]
                named.add((plain[1], frozenset(zip(plain[2::2], plain[3::2], strict=True))))
    asked = {(q.metric, frozenset(q.dimensions)) for q in report_queries("prod", functions)}
    assert not asked - named, f"figures the dashboard does not show: {sorted(asked - named, key=str)}"
