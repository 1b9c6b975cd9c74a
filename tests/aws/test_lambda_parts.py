"""The three small Lambda functions (database metrics scraper, provider spend meter, Slack alert forwarder) are
built from one set of parts (components/lambda_parts.py). Moving them there must not change a URN: a changed URN
makes Pulumi replace the resource (a new role, a new secret). The URNs below are the ones the components had
before the parts were shared; each function keeps its log, role and least-privilege policy."""

from __future__ import annotations

import json

import pytest

from components.lambda_parts import LAMBDA_TRUST_POLICY, source_archive
from ops.engineless.program import ProgramRun, run_program
from ops.engineless.provider_host import Secret
from tests.aws.aws_mocks import WholeProgramMocks
from tests.aws.helpers import all_of, one, policy

COMPONENTS = {"AlertWebhooks", "ProviderSpend", "DatabaseMetrics"}
URNS = {
    ("AlertWebhooks", "aws:cloudwatch/logGroup:LogGroup::alert-webhooks-slack-logs"),
    ("AlertWebhooks", "aws:iam/role:Role::alert-webhooks-slack-role"),
    ("AlertWebhooks", "aws:iam/rolePolicy:RolePolicy::alert-webhooks-slack-policy"),
    ("AlertWebhooks", "aws:lambda/function:Function::alert-webhooks-slack"),
    ("AlertWebhooks", "aws:lambda/permission:Permission::alert-webhooks-slack-invoke-global"),
    ("AlertWebhooks", "aws:lambda/permission:Permission::alert-webhooks-slack-invoke-regional"),
    ("AlertWebhooks", "aws:secretsmanager/secret:Secret::alert-webhooks-slack-url"),
    ("AlertWebhooks", "aws:secretsmanager/secretVersion:SecretVersion::alert-webhooks-slack-url-value"),
    ("AlertWebhooks", "aws:sns/topicSubscription:TopicSubscription::alert-webhooks-pagerduty-global"),
    ("AlertWebhooks", "aws:sns/topicSubscription:TopicSubscription::alert-webhooks-pagerduty-regional"),
    ("AlertWebhooks", "aws:sns/topicSubscription:TopicSubscription::alert-webhooks-slack-global"),
    ("AlertWebhooks", "aws:sns/topicSubscription:TopicSubscription::alert-webhooks-slack-regional"),
    ("ProviderSpend", "aws:cloudwatch/logGroup:LogGroup::provider-spend-logs"),
    ("ProviderSpend", "aws:cloudwatch/metricAlarm:MetricAlarm::provider-spend-meter-failing"),
    ("ProviderSpend", "aws:cloudwatch/metricAlarm:MetricAlarm::provider-spend-over-ceiling"),
    ("ProviderSpend", "aws:iam/role:Role::provider-spend-role"),
    ("ProviderSpend", "aws:iam/role:Role::provider-spend-scheduler"),
    ("ProviderSpend", "aws:iam/rolePolicy:RolePolicy::provider-spend-policy"),
    ("ProviderSpend", "aws:iam/rolePolicy:RolePolicy::provider-spend-scheduler-policy"),
    ("ProviderSpend", "aws:lambda/function:Function::provider-spend-function"),
    ("ProviderSpend", "aws:scheduler/schedule:Schedule::provider-spend-schedule"),
    ("ProviderSpend", "aws:secretsmanager/secret:Secret::provider-spend-key"),
    ("ProviderSpend", "aws:secretsmanager/secretVersion:SecretVersion::provider-spend-key-value"),
    ("DatabaseMetrics", "aws:cloudwatch/logGroup:LogGroup::database-metrics-logs"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-connection"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-cpu"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-disk"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-failed-sign-ins"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-function-errors"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-memory"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-scraper-failing"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-slow-statements"),
    # Added with the backup-age alarms (new resources, not renamed ones).
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-backup-age"),
    ("DatabaseMetrics", "aws:cloudwatch/metricAlarm:MetricAlarm::database-metrics-backup-age-silent"),
    ("DatabaseMetrics", "aws:iam/role:Role::database-metrics-role"),
    ("DatabaseMetrics", "aws:iam/role:Role::database-metrics-scheduler"),
    ("DatabaseMetrics", "aws:iam/rolePolicy:RolePolicy::database-metrics-policy"),
    ("DatabaseMetrics", "aws:iam/rolePolicy:RolePolicy::database-metrics-scheduler-policy"),
    ("DatabaseMetrics", "aws:lambda/function:Function::database-metrics-function"),
    ("DatabaseMetrics", "aws:scheduler/schedule:Schedule::database-metrics-schedule"),
    ("DatabaseMetrics", "aws:secretsmanager/secret:Secret::database-metrics-key"),
    ("DatabaseMetrics", "aws:secretsmanager/secret:Secret::database-metrics-logs-token"),
    ("DatabaseMetrics", "aws:secretsmanager/secretVersion:SecretVersion::database-metrics-key-value"),
    ("DatabaseMetrics", "aws:secretsmanager/secretVersion:SecretVersion::database-metrics-logs-token-value"),
}
FUNCTIONS = {  # resource name -> (its log group, role, policy)
    "database-metrics-function": ("database-metrics-logs", "database-metrics-role", "database-metrics-policy"),
    "provider-spend-function": ("provider-spend-logs", "provider-spend-role", "provider-spend-policy"),
    "alert-webhooks-slack": ("alert-webhooks-slack-logs", "alert-webhooks-slack-role", "alert-webhooks-slack-policy"),
}


@pytest.fixture(scope="module")
def everything_on() -> ProgramRun:
    return run_program(
        "prod",
        {
            "supabaseLogsAccessToken": Secret("sbp_logs_reader_0123456789abcdef"),
            "alerts": {"enabled": True, "emails": ["ops@example.com"]},
            "alertWebhooks": Secret(
                {"slack": "https://hooks.slack.com/services/T/B/x", "pagerduty": "https://events.pagerduty.com/x"}
            ),
        },
        mocks=WholeProgramMocks(),
    )


def test_the_urns_are_the_ones_the_components_always_had(everything_on):
    found = set()
    for resource in everything_on.resources:
        tail = resource.urn.split("::", 2)[2]
        component, _, rest = tail.partition("$")
        if rest and component.split(":")[-1] in COMPONENTS:
            found.add((component.split(":")[-1], rest))
    assert found == URNS


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_function_has_its_own_log_and_a_role_only_lambda_assumes(everything_on, function):
    log_name, role_name, policy_name = FUNCTIONS[function]
    lambda_function = one(everything_on, "aws:lambda/function:Function", function)
    log_group = one(everything_on, "aws:cloudwatch/logGroup:LogGroup", log_name)
    assert log_group.inputs["name"] == f"/aws/lambda/{lambda_function.inputs['name']}"
    assert int(log_group.inputs["retentionInDays"]) == 30
    role = one(everything_on, "aws:iam/role:Role", role_name)
    assert json.loads(role.inputs["assumeRolePolicy"]) == json.loads(LAMBDA_TRUST_POLICY)
    assert role.inputs["assumeRolePolicy"] == LAMBDA_TRUST_POLICY, "the same text as before: no update"
    assert lambda_function.inputs["role"] == role.outputs["arn"]
    rights = policy(one(everything_on, "aws:iam/rolePolicy:RolePolicy", policy_name))
    [write_logs] = [s for s in rights["Statement"] if s["Sid"] == "WriteLogs"]
    assert write_logs["Resource"] == f"{log_group.outputs['arn']}:*"
    assert lambda_function.inputs["runtime"] == "python3.11" and int(lambda_function.inputs["memorySize"]) == 128


def test_the_scheduled_two_are_started_by_a_role_that_may_invoke_them_alone(everything_on):
    for prefix, function in (
        ("database-metrics", "database-metrics-function"),
        ("provider-spend", "provider-spend-function"),
    ):
        arn = one(everything_on, "aws:lambda/function:Function", function).outputs["arn"]
        schedule = one(everything_on, "aws:scheduler/schedule:Schedule", f"{prefix}-schedule")
        assert schedule.inputs["target"]["arn"] == arn
        rights = policy(one(everything_on, "aws:iam/rolePolicy:RolePolicy", f"{prefix}-scheduler-policy"))
        assert [(s["Action"], s["Resource"]) for s in rights["Statement"]] == [("lambda:InvokeFunction", arn)]
    assert len(all_of(everything_on, "aws:scheduler/schedule:Schedule")) >= 2


def test_an_archive_holds_its_packages_sources_and_nothing_else():
    archive = source_archive(["ops/alerts"])
    names = sorted(archive.assets)
    assert names[0] == "ops/__init__.py" and all(n.startswith("ops/alerts/") for n in names[1:])
    assert "ops/alerts/slack.py" in names and not any(n.endswith(".pyc") for n in names)
