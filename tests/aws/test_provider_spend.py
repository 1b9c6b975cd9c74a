"""The daily provider spend meter, per stack file: a Lambda function reading the project's RPC with the
service-role key from Secrets Manager (never in its plain environment), on a schedule, and an alarm on today's
total at the stack's ceiling, to the alerts topic."""

from __future__ import annotations

import json

import pytest

from stackconfig.errors import ConfigError
from tests.aws.aws_program import SERVICE_ROLE_KEY, SUPABASE_URL, run_aws_program
from tests.aws.helpers import one, policy, statement

CEILING = {"staging": 10.0, "prod": 200.0}


def test_the_meter_runs_every_15_minutes_with_its_key_in_secrets_manager(deployed):
    function = one(deployed, "aws:lambda/function:Function", "provider-spend-function")
    assert function.inputs["handler"] == "ops.metrics.provider_spend.handler"
    variables = function.inputs["environment"]["variables"]
    assert variables["SUPABASE_URL"] == SUPABASE_URL and variables["STACK"] == deployed.stack
    assert SERVICE_ROLE_KEY not in json.dumps(function.inputs, default=str)
    secret = one(deployed, "aws:secretsmanager/secret:Secret", "provider-spend-key")
    assert variables["SERVICE_ROLE_KEY_SECRET"] == secret.outputs["arn"]
    value = one(deployed, "aws:secretsmanager/secretVersion:SecretVersion", "provider-spend-key-value")
    assert "secretString" in value.secret_inputs
    read = statement(policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "provider-spend-policy")), "ReadKey")
    assert read["Resource"] == secret.outputs["arn"], "the meter reads its own secret only"
    schedule = one(deployed, "aws:scheduler/schedule:Schedule", "provider-spend-schedule")
    assert schedule.inputs["scheduleExpression"] == "rate(15 minutes)"


def test_todays_total_over_the_ceiling_alarms_the_alerts_topic(deployed):
    alarm = one(deployed, "aws:cloudwatch/metricAlarm:MetricAlarm", "provider-spend-over-ceiling")
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == ("AiPlatform/Supabase", "ProviderSpendUsd")
    assert alarm.inputs["dimensions"] == {"Stack": deployed.stack, "Unit": "ALL"}
    assert float(alarm.inputs["threshold"]) == CEILING[deployed.stack]
    assert alarm.inputs["statistic"] == "Maximum" and alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarm.inputs["alarmActions"] == [deployed.outputs["alertsTopicArn"]]
    failing = one(deployed, "aws:cloudwatch/metricAlarm:MetricAlarm", "provider-spend-meter-failing")
    assert failing.inputs["alarmActions"] == [deployed.outputs["alertsTopicArn"]]


def test_a_meter_without_alerts_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"providerSpend.enabled: its alarm goes to the alerts topic"):
        run_aws_program("staging", {"alerts": {"enabled": False}, "budget": {"enabled": False}})
