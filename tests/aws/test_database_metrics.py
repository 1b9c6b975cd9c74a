"""The database's scaling triggers in CloudWatch: a scheduled scraper (Lambda) with only what it needs, its
key a secret, and alarms at guide 000 section 10.2's thresholds on the alerts topic."""

from __future__ import annotations

import json

from components.database_metrics import HANDLER, NAMESPACE
from tests.aws.aws_program import SERVICE_ROLE_KEY, SUPABASE_URL
from tests.aws.helpers import all_of, one, policy, statement

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_the_scraper_runs_every_five_minutes_with_its_key_in_secrets_manager(deployed):
    function = one(deployed, "aws:lambda/function:Function", "database-metrics-function")
    assert function.inputs["handler"] == HANDLER and function.inputs["runtime"] == "python3.11"
    variables = function.inputs["environment"]["variables"]
    secret = one(deployed, "aws:secretsmanager/secret:Secret", "database-metrics-key")
    assert variables == {"METRICS_URL": f"{SUPABASE_URL}/customer/v1/privileged/metrics", "STACK": deployed.stack,
                         "SERVICE_ROLE_KEY_SECRET": secret.outputs["arn"]}
    version = one(deployed, "aws:secretsmanager/secretVersion:SecretVersion", "database-metrics-key-value")
    assert "secretString" in version.secret_inputs
    assert SERVICE_ROLE_KEY not in json.dumps(function.inputs, default=str)

    schedule = one(deployed, "aws:scheduler/schedule:Schedule", "database-metrics-schedule")
    assert schedule.inputs["scheduleExpression"] == "rate(5 minutes)"
    assert schedule.inputs["target"]["arn"] == function.outputs["arn"]

    rights = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "database-metrics-policy"))
    assert statement(rights, "ReadKey")["Resource"] == secret.outputs["arn"]
    assert statement(rights, "PublishMetrics")["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}


def test_the_code_archive_holds_the_scraper_and_its_parser_and_nothing_compiled():
    from components.database_metrics import code_archive

    names = set(code_archive().assets)
    assert {"ops/__init__.py", "ops/metrics/lambda_handler.py", "ops/metrics/gauges.py",
            "prometheus_client/parser.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_alarms_at_the_guides_thresholds_notify_the_alerts_topic(deployed):
    topic = deployed.outputs["alertsTopicArn"]
    expected = {"database-metrics-cpu": ("CpuUtilization", 80.0, 3), "database-metrics-memory": ("MemoryUtilization", 90.0, 1),
                "database-metrics-disk": ("DiskUtilization", 90.0, 1),
                "database-metrics-connection": ("ConnectionUtilization", 95.0, 1)}
    for name, (metric, threshold, periods) in expected.items():
        alarm = one(deployed, ALARM, name).inputs
        assert (alarm["namespace"], alarm["metricName"], float(alarm["threshold"])) == (NAMESPACE, metric, threshold)
        assert alarm["dimensions"] == {"Stack": deployed.stack}
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert int(alarm["evaluationPeriods"]) == int(alarm["datapointsToAlarm"]) == periods
        assert int(alarm["evaluationPeriods"]) * int(alarm["period"]) >= (900 if metric == "CpuUtilization" else 300)
        assert alarm["alarmActions"] == [topic], name
    failing = one(deployed, ALARM, "database-metrics-scraper-failing").inputs
    assert failing["namespace"] == "AWS/Lambda" and failing["metricName"] == "Errors"
    assert failing["alarmActions"] == [topic]
    assert len([a for a in all_of(deployed, ALARM) if a.name.startswith("database-metrics-")]) == 5
