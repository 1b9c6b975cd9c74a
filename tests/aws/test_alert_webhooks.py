"""Alerts where the team works: PagerDuty and Opsgenie subscribed to both alerts topics over HTTPS, Slack through
the forwarder function; every URL (each carries its service's key) secret from the config to the state; and the
forwarder itself posting a real CloudWatch alarm notification to a Slack stand-in."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ops.alerts.slack import ForwardError, handler, slack_text
from ops.engineless.program import ProgramRun, run_program
from ops.engineless.provider_host import Secret
from stackconfig import ConfigError, validate_config
from tests.aws.aws_mocks import WholeProgramMocks
from tests.aws.helpers import all_of, one, policy, statement
from tests.harness.loopback_server import serve_on_loopback

SLACK = "https://hooks.slack.com/services/T000/B000/slack-secret-part-0123"
PAGERDUTY = "https://events.pagerduty.com/integration/pd-secret-key-4567/enqueue"
OPSGENIE = "https://api.opsgenie.com/v1/json/amazonsns?apiKey=og-secret-key-89ab"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"


@pytest.fixture(scope="module")
def with_webhooks() -> ProgramRun:
    return run_program(
        "prod",
        {"alertWebhooks": Secret({"slack": SLACK, "pagerduty": PAGERDUTY, "opsgenie": OPSGENIE})},
        mocks=WholeProgramMocks(),
    )


def test_pagerduty_and_opsgenie_subscribe_to_both_topics_over_https(with_webhooks):
    topics = {with_webhooks.outputs["alertsTopicArn"]} | {
        t.outputs["arn"] for t in all_of(with_webhooks, "aws:sns/topic:Topic")
    }
    assert len(topics) == 2, "the stack's region and us-east-1"
    for service, url in (("pagerduty", PAGERDUTY), ("opsgenie", OPSGENIE)):
        subscriptions = [s for s in all_of(with_webhooks, SUBSCRIPTION) if f"-{service}-" in s.name]
        assert {s.inputs["topic"] for s in subscriptions} == topics
        for subscription in subscriptions:
            assert subscription.inputs["protocol"] == "https" and subscription.inputs["endpoint"] == url
            assert "endpoint" in subscription.secret_inputs, "the URL carries the service's key"
            assert subscription.inputs["endpointAutoConfirms"] is True


def test_slack_goes_through_the_forwarder_with_the_url_in_secrets_manager_only(with_webhooks):
    function = one(with_webhooks, "aws:lambda/function:Function", "alert-webhooks-slack")
    secret = one(with_webhooks, "aws:secretsmanager/secret:Secret", "alert-webhooks-slack-url")
    assert function.inputs["environment"]["variables"] == {"SLACK_WEBHOOK_SECRET": secret.outputs["arn"]}
    assert function.inputs["handler"] == "ops.alerts.slack.handler"
    rights = policy(one(with_webhooks, "aws:iam/rolePolicy:RolePolicy", "alert-webhooks-slack-policy"))
    assert statement(rights, "ReadWebhook")["Resource"] == secret.outputs["arn"]
    lambda_subscriptions = [s for s in all_of(with_webhooks, SUBSCRIPTION) if s.inputs["protocol"] == "lambda"]
    assert len(lambda_subscriptions) == 2 and {s.inputs["endpoint"] for s in lambda_subscriptions} == {
        function.outputs["arn"]
    }
    permissions = all_of(with_webhooks, "aws:lambda/permission:Permission")
    assert {p.inputs["sourceArn"] for p in permissions if p.name.startswith("alert-webhooks-slack-invoke")} == {
        s.inputs["topic"] for s in lambda_subscriptions
    }
    plain = [r.inputs for r in with_webhooks.resources if not r.secret_inputs]
    text = json.dumps(plain, default=str) + json.dumps(with_webhooks.outputs, default=str)
    for url in (SLACK, PAGERDUTY, OPSGENIE):
        assert url not in text


def test_without_webhooks_only_e_mail(prod):
    assert not [r for r in prod.resources if r.name.startswith("alert-webhooks")]


def test_a_webhook_url_that_is_not_https_is_refused_without_echoing_it():
    with pytest.raises(ConfigError) as error:
        validate_config(
            {"alertWebhooks": {"slack": "http://hooks.example.com/secret-path-1"}},
            secret_keys={"alertWebhooks"},
            stack_file="Pulumi.prod.yaml",
        )
    assert "alertWebhooks: Value error, slack: must be an https:// URL" in str(error.value)
    assert "secret-path-1" not in str(error.value)


ALARM = {
    "AlarmName": "database-metrics-slow-statements",
    "AlarmDescription": "A statement's mean time is over 1000 ms",
    "NewStateValue": "ALARM",
    "OldStateValue": "OK",
    "StateChangeTime": "2026-12-07T10:00:00.000+0000",
    "NewStateReason": "Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (0.0).",
    "Region": "EU (Frankfurt)",
    "Trigger": {"MetricName": "SlowStatements"},
}


def sns_event(message: str, subject: str | None = None) -> dict[str, Any]:
    return {
        "Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Subject": subject, "Message": message}}]
    }


def test_the_forwarder_posts_the_alarm_with_its_state_reason_and_runbook(monkeypatch):
    received: list[dict[str, Any]] = []

    class Slack(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(404 if self.path.endswith("revoked") else 200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    with serve_on_loopback(Slack) as url, mock_aws():
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
        secrets = boto3.client("secretsmanager")
        good = secrets.create_secret(Name="slack", SecretString=f"{url}/services/T0/B0/ok")["ARN"]
        monkeypatch.setenv("SLACK_WEBHOOK_SECRET", good)
        assert handler(sns_event(json.dumps(ALARM), "ALARM: database-metrics-slow-statements"), None) == 1
        revoked = secrets.create_secret(Name="revoked", SecretString=f"{url}/services/revoked")["ARN"]
        monkeypatch.setenv("SLACK_WEBHOOK_SECRET", revoked)
        with pytest.raises(ForwardError, match="HTTP 404") as failure:
            handler(sns_event("plain text"), None)
        assert "services/revoked" not in str(failure.value)
    text = received[0]["text"]
    assert text.startswith(":rotating_light: *database-metrics-slow-statements* is ALARM (was OK)")
    assert "mean time is over 1000 ms" in text and "Threshold Crossed" in text and "docs/runbooks.md" in text


def test_a_message_that_is_not_an_alarm_is_posted_as_it_is():
    assert slack_text("Deploy", "prod deployed 1.4.2") == "*Deploy*\nprod deployed 1.4.2"
