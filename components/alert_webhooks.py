"""Alerts where the team works: the alerts topics (components/alarms.py) also deliver to PagerDuty and Opsgenie
(HTTPS subscriptions; both services confirm SNS subscriptions themselves) and to Slack (through a small
forwarder function, ops/alerts/slack.py, because a Slack webhook cannot confirm one).

Every URL carries its service's key: they enter as secrets, the subscriptions' endpoints stay secret in the
state, and the Slack URL lives in Secrets Manager, read by the forwarder alone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.aws_policy import policy_document

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME = "python3.11"


@dataclass(frozen=True, kw_only=True)
class AlertTopic:
    label: str  # "regional", "global": part of the resource names
    region: str
    topic_arn: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class AlertWebhooksArgs:
    region: str  # where the Slack forwarder runs
    topics: Sequence[AlertTopic]
    slack_url: pulumi.Input[str] | None = None
    pagerduty_url: pulumi.Input[str] | None = None
    opsgenie_url: pulumi.Input[str] | None = None


def forwarder_archive() -> pulumi.AssetArchive:
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {"ops/__init__.py": pulumi.StringAsset("")}
    for path in sorted((PROJECT_ROOT / "ops" / "alerts").glob("*.py")):
        assets[f"ops/alerts/{path.name}"] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)


class AlertWebhooks(pulumi.ComponentResource):
    def __init__(self, name: str, args: AlertWebhooksArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:alert_webhooks:AlertWebhooks", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        for service, url in (("pagerduty", args.pagerduty_url), ("opsgenie", args.opsgenie_url)):
            if url is None:
                continue
            for topic in args.topics:
                # The service confirms the subscription on its own; Pulumi waits for that confirmation.
                aws.sns.TopicSubscription(
                    f"{name}-{service}-{topic.label}",
                    region=topic.region,
                    topic=topic.topic_arn,
                    protocol="https",
                    endpoint=pulumi.Output.secret(url),
                    endpoint_auto_confirms=True,
                    confirmation_timeout_in_minutes=5,
                    opts=child,
                )
        if args.slack_url is not None:
            self._slack(name, args, args.slack_url, child)
        self.register_outputs({})

    def _slack(self, name: str, args: AlertWebhooksArgs, url: pulumi.Input[str], child: pulumi.ResourceOptions) -> None:
        stack = pulumi.get_stack()
        function_name = f"{pulumi.get_project()}-{stack}-slack-alerts"
        secret = aws.secretsmanager.Secret(
            f"{name}-slack-url",
            description=f"Slack webhook the {stack} alerts are posted to",
            recovery_window_in_days=7,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-slack-url-value", secret_id=secret.id, secret_string=pulumi.Output.secret(url), opts=child
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-slack-logs", name=f"/aws/lambda/{function_name}", retention_in_days=30, opts=child
        )
        role = aws.iam.Role(
            f"{name}-slack-role",
            description="Posts the alerts topics' messages to Slack",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            opts=child,
        )
        # Its log and the webhook's secret, nothing else.
        aws.iam.RolePolicy(
            f"{name}-slack-policy",
            role=role.name,
            policy=policy_document(
                [
                    {
                        "Sid": "WriteLogs",
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": pulumi.Output.concat(log_group.arn, ":*"),
                    },
                    {
                        "Sid": "ReadWebhook",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret.arn,
                    },
                ]
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-slack",
            name=function_name,
            description="Posts each alert to Slack (ops/alerts/slack.py)",
            runtime=RUNTIME,
            handler="ops.alerts.slack.handler",
            code=forwarder_archive(),
            role=role.arn,
            timeout=30,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={"SLACK_WEBHOOK_SECRET": secret.arn}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        for topic in args.topics:
            permission = aws.lambda_.Permission(
                f"{name}-slack-invoke-{topic.label}",
                action="lambda:InvokeFunction",
                function=function.name,
                principal="sns.amazonaws.com",
                source_arn=topic.topic_arn,
                opts=child,
            )
            # SNS invokes a function in another region too (the us-east-1 topic, a regional forwarder).
            aws.sns.TopicSubscription(
                f"{name}-slack-{topic.label}",
                region=topic.region,
                topic=topic.topic_arn,
                protocol="lambda",
                endpoint=function.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
            )
