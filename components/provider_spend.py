"""The platform's own provider spend per day (AI, translation, OCR, SMS, e-mail, embeddings) against a ceiling.

A small Lambda function (ops/metrics/provider_spend.py, packed like the database metrics scraper), started every
15 minutes, asks the project's database what today's units cost (public.provider_spend_by_day) and publishes it as
ProviderSpendUsd per unit and in total; an alarm notifies the alerts topic when today's total passes
dailyCeilingUsd. The figure is the append-only spend ledger's, which every provider call reserves and settles into,
at each unit's price, so a user cannot lower it (docs/runbooks.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import policy_document, service_trust_policy
from components.database_metrics import RUNTIME, code_archive
from ops.metrics.provider_spend import DIMENSION, METRIC, NAMESPACE, TOTAL

__all__ = ["ProviderSpend", "ProviderSpendArgs"]


@dataclass(frozen=True, kw_only=True)
class ProviderSpendArgs:
    supabase_url: pulumi.Input[str]
    service_role_key: pulumi.Input[str]  # PostgREST's key for the RPC, a secret
    topic_arn: pulumi.Input[str]
    daily_ceiling_usd: float
    schedule: str = "rate(15 minutes)"


class ProviderSpend(pulumi.ComponentResource):
    def __init__(self, name: str, args: ProviderSpendArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:cost:ProviderSpend", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        stack = pulumi.get_stack()
        function_name = f"{pulumi.get_project()}-{stack}-provider-spend"
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        secret = aws.secretsmanager.Secret(
            f"{name}-key",
            description=f"Service-role key the {stack} provider spend meter reads with",
            recovery_window_in_days=7,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-key-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(args.service_role_key),
            opts=child,
        )
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/lambda/{function_name}", retention_in_days=30, opts=child
        )
        role = aws.iam.Role(
            f"{name}-role",
            description="Runs the provider spend meter",
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
        aws.iam.RolePolicy(
            f"{name}-policy",
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
                        "Sid": "ReadKey",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret.arn,
                    },
                    {
                        "Sid": "PublishMetrics",
                        "Effect": "Allow",
                        "Action": "cloudwatch:PutMetricData",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
                    },
                ]
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Today's provider spend from the database into CloudWatch (ops/metrics/provider_spend.py)",
            runtime=RUNTIME,
            handler="ops.metrics.provider_spend.handler",
            code=code_archive(),
            role=role.arn,
            timeout=60,
            memory_size=128,
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={"SUPABASE_URL": args.supabase_url, "STACK": stack, "SERVICE_ROLE_KEY_SECRET": secret.arn}
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group]),
        )
        scheduler_role = aws.iam.Role(
            f"{name}-scheduler",
            description="Lets EventBridge Scheduler start the provider spend meter",
            assume_role_policy=service_trust_policy("scheduler.amazonaws.com", account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=scheduler_role.name,
            policy=policy_document(
                [{"Sid": "InvokeMeter", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function.arn}]
            ),
            opts=child,
        )
        aws.scheduler.Schedule(
            f"{name}-schedule",
            description=f"Meters the {stack} platform's provider spend",
            schedule_expression=args.schedule,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(arn=function.arn, role_arn=scheduler_role.arn),
            opts=child,
        )
        topic = [args.topic_arn]
        over = aws.cloudwatch.MetricAlarm(
            f"{name}-over-ceiling",
            alarm_description=(
                f"The platform's provider spend today passed ${args.daily_ceiling_usd:g} (AI, translation, "
                "OCR, SMS, e-mail; docs/runbooks.md)"
            ),
            namespace=NAMESPACE,
            metric_name=METRIC,
            dimensions={"Stack": stack, DIMENSION: TOTAL},
            # Today's running total: its highest point in the last 15 minutes.
            statistic="Maximum",
            period=900,
            evaluation_periods=1,
            comparison_operator="GreaterThanThreshold",
            threshold=args.daily_ceiling_usd,
            treat_missing_data="notBreaching",
            alarm_actions=topic,
            ok_actions=topic,
            opts=child,
        )
        failing = aws.cloudwatch.MetricAlarm(
            f"{name}-meter-failing",
            alarm_description="The provider spend meter failed in each of its last four runs: spend is unwatched",
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": function.name},
            statistic="Sum",
            period=900,
            evaluation_periods=4,
            datapoints_to_alarm=4,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
            alarm_actions=topic,
            ok_actions=topic,
            opts=child,
        )
        self.alarm_arns = [over.arn, failing.arn]  # for the dashboard's status widget
        self.register_outputs({"functionName": function.name})
