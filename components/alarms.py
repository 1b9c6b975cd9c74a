"""Alerts: an encrypted SNS topic that e-mails the stack's operators, with CloudWatch alarms on the CDNs' 5xx
rate, on the backup job (a failed run; no successful run for too long) and on a Route53 health check of the
`health-check` edge function.

CloudFront and Route53 health checks publish their metrics in us-east-1 only, and an alarm can only notify a
topic in its own region: those alarms get a second topic there (one topic when the stack lives there)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws

from components.aws_policy import GLOBAL_SERVICES_REGION, policy_document


@dataclass(frozen=True, kw_only=True)
class MonitoredDistribution:
    label: str  # "frontend", "storage-cdn": part of the alarm's name
    distribution_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class AlarmsArgs:
    region: str
    emails: Sequence[str]
    distributions: Sequence[MonitoredDistribution] = field(default_factory=tuple)
    cdn_5xx_rate_percent: float = 5.0
    backup_project_name: pulumi.Input[str] | None = None
    max_hours_without_success: int = 26
    # The `health-check` edge function's URL; None: no health check.
    health_check_url: pulumi.Input[str] | None = None
    health_check_interval_seconds: int = 30
    health_check_failure_threshold: int = 3


class Alarms(pulumi.ComponentResource):
    topic_arn: pulumi.Output[str]
    global_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:alarms:Alarms", name, None, opts)
        if not args.emails:
            raise ValueError(f"{name}: alerts need at least one e-mail address (alerts.emails)")
        self._account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self._emails = list(args.emails)
        # Every alarm made here, for the dashboard's status widget.
        self.alarm_arns: list[pulumi.Output[str]] = []
        self.health_check_id: pulumi.Output[str] | None = None

        topic = self._topic(name, args.region)
        global_topic = (
            topic if args.region == GLOBAL_SERVICES_REGION else self._topic(f"{name}-global", GLOBAL_SERVICES_REGION)
        )
        self.topic_arn = topic.arn
        self.global_topic_arn = global_topic.arn

        for monitored in args.distributions:
            self._alarm(
                f"{name}-{monitored.label}-5xx",
                region=GLOBAL_SERVICES_REGION,
                topic=global_topic,
                alarm_description=(
                    f"More than {args.cdn_5xx_rate_percent}% of the {monitored.label} CDN's answers are 5xx "
                    "(two of three 5-minute periods)"
                ),
                namespace="AWS/CloudFront",
                metric_name="5xxErrorRate",
                dimensions={"DistributionId": monitored.distribution_id, "Region": "Global"},
                statistic="Average",
                period=300,
                evaluation_periods=3,
                datapoints_to_alarm=2,
                comparison_operator="GreaterThanThreshold",
                threshold=args.cdn_5xx_rate_percent,
                # No requests, no errors.
                treat_missing_data="notBreaching",
            )

        if args.backup_project_name is not None:
            self._alarm(
                f"{name}-backup-failed",
                region=args.region,
                topic=topic,
                alarm_description="A backup run failed: read its log in the backup job's log group",
                namespace="AWS/CodeBuild",
                metric_name="FailedBuilds",
                dimensions={"ProjectName": args.backup_project_name},
                statistic="Sum",
                period=3600,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=1,
                treat_missing_data="notBreaching",
            )
            hours = args.max_hours_without_success
            self._alarm(
                f"{name}-backup-missing",
                region=args.region,
                topic=topic,
                alarm_description=f"No backup run succeeded in the last {hours} hours",
                namespace="AWS/CodeBuild",
                metric_name="SucceededBuilds",
                dimensions={"ProjectName": args.backup_project_name},
                statistic="Sum",
                # Hourly sums over the window: it alarms only when every one of them is without a success.
                period=3600,
                evaluation_periods=hours,
                datapoints_to_alarm=hours,
                comparison_operator="LessThanThreshold",
                threshold=1,
                # CodeBuild publishes nothing in an hour without runs: silence is exactly what must alarm.
                treat_missing_data="breaching",
            )

        if args.health_check_url is not None:
            target = pulumi.Output.from_input(args.health_check_url).apply(_health_check_target)
            health_check = aws.route53.HealthCheck(
                f"{name}-health-check",
                # Healthy only when the body says so: a `degraded` answer (an alert the database's monitor
                # raised, one AI provider down) is 200 too, and must still reach the alerts topic.
                type="HTTPS_STR_MATCH",
                search_string=HEALTHY_MARKER,
                fqdn=target.apply(lambda t: t[0]),
                resource_path=target.apply(lambda t: t[1]),
                port=443,
                enable_sni=True,
                request_interval=args.health_check_interval_seconds,
                failure_threshold=args.health_check_failure_threshold,
                tags={"Name": f"{pulumi.get_project()}-{pulumi.get_stack()}-health-check"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.health_check_id = health_check.id
            self._alarm(
                f"{name}-health",
                region=GLOBAL_SERVICES_REGION,
                topic=global_topic,
                alarm_description="The health-check edge function is failing from Route53's checkers",
                namespace="AWS/Route53",
                metric_name="HealthCheckStatus",
                dimensions={"HealthCheckId": health_check.id},
                statistic="Minimum",
                period=60,
                evaluation_periods=3,
                comparison_operator="LessThanThreshold",
                threshold=1,
                treat_missing_data="breaching",
            )

        self.register_outputs({"topicArn": self.topic_arn, "globalTopicArn": self.global_topic_arn})

    def _topic(self, name: str, region: str) -> aws.sns.Topic:
        # SNS's AWS-managed key cannot be used by CloudWatch: an alarm needs a customer key that lets it in.
        key = aws.kms.Key(
            f"{name}-topic-key",
            region=region,
            description=f"Alerts topic of {pulumi.get_project()} ({pulumi.get_stack()})",
            enable_key_rotation=True,
            deletion_window_in_days=7,
            policy=policy_document(
                [
                    {
                        "Sid": "AccountAdministers",
                        "Effect": "Allow",
                        "Principal": {"AWS": pulumi.Output.concat("arn:aws:iam::", self._account_id, ":root")},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        # CloudWatch alarms, and AWS Budgets' alerts (components/cost_budget.py).
                        "Sid": "AlarmsPublish",
                        "Effect": "Allow",
                        "Principal": {"Service": ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"]},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:SourceAccount": self._account_id}},
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        topic = aws.sns.Topic(
            f"{name}-topic",
            region=region,
            kms_master_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, email in enumerate(self._emails):
            # Each address must confirm the subscription once, from the e-mail AWS sends it.
            aws.sns.TopicSubscription(
                f"{name}-email-{index}",
                region=region,
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic

    def _alarm(self, resource_name: str, *, region: str, topic: aws.sns.Topic, **metric: Any) -> None:
        # `metric`: MetricAlarm's own keyword arguments (namespace, metric_name, threshold, ...).
        alarm = aws.cloudwatch.MetricAlarm(
            resource_name,
            region=region,
            alarm_actions=[topic.arn],
            # Operators hear when it is over, too.
            ok_actions=[topic.arn],
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )
        self.alarm_arns.append(alarm.arn)


# The health-check function's JSON starts with its status; Route53 searches the first 5120 bytes of the body.
HEALTHY_MARKER = '"status":"healthy"'


def _health_check_target(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"health check URL {url!r} must be https://<host>/<path> (the health-check function's URL)")
    path = parts.path or "/"
    return parts.hostname, f"{path}?{parts.query}" if parts.query else path
