"""Alerts where the team works: the alerts topics (components/alarms.py) also deliver to PagerDuty and Opsgenie
(HTTPS subscriptions; both services confirm SNS subscriptions themselves) and to Slack (through a small
forwarder function, ops/alerts/slack.py, because a Slack webhook cannot confirm one).

Every URL carries its service's key: they enter as secrets, the subscriptions' endpoints stay secret in the
state, and the Slack URL lives in Secrets Manager, read by the forwarder alone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.lambda_parts import LambdaSpec, lambda_function, source_archive, stored_secret


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
    return source_archive(["ops/alerts"])


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
        secret = stored_secret(
            f"{name}-slack-url", description=f"Slack webhook the {stack} alerts are posted to", value=url, opts=child
        )
        function = lambda_function(
            LambdaSpec(
                prefix=f"{name}-slack",
                function_resource=f"{name}-slack",
                function_name=f"{pulumi.get_project()}-{stack}-slack-alerts",
                description="Posts each alert to Slack (ops/alerts/slack.py)",
                role_description="Posts the alerts topics' messages to Slack",
                handler="ops.alerts.slack.handler",
                code=forwarder_archive(),
                timeout=30,
                # Its log and the webhook's secret, nothing else.
                statements=[
                    {
                        "Sid": "ReadWebhook",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret.arn,
                    }
                ],
                environment={"SLACK_WEBHOOK_SECRET": secret.arn},
            ),
            parent=self,
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
