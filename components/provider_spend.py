"""The platform's own provider spend per day (AI, translation, OCR, SMS, e-mail, embeddings) against a ceiling.

A small Lambda function (ops/metrics/provider_spend.py, packed like the database metrics scraper), started every
15 minutes, asks the project's database what today's units cost (public.provider_spend_by_day) and publishes it as
ProviderSpendUsd per unit and in total; an alarm notifies the alerts topic when today's total passes
dailyCeilingUsd. The figure is the append-only spend ledger's, which every provider call reserves and settles into,
at each unit's price, so a user cannot lower it (docs/runbooks.md)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.database_metrics import code_archive
from components.lambda_parts import LambdaSpec, lambda_function, schedule_function, stored_secret
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
        secret = stored_secret(
            f"{name}-key",
            description=f"Service-role key the {stack} provider spend meter reads with",
            value=args.service_role_key,
            opts=child,
        )
        function = lambda_function(
            LambdaSpec(
                prefix=name,
                function_resource=f"{name}-function",
                function_name=function_name,
                description="Today's provider spend from the database into CloudWatch (ops/metrics/provider_spend.py)",
                role_description="Runs the provider spend meter",
                handler="ops.metrics.provider_spend.handler",
                code=code_archive(),
                timeout=60,
                statements=[
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
                ],
                environment={"SUPABASE_URL": args.supabase_url, "STACK": stack, "SERVICE_ROLE_KEY_SECRET": secret.arn},
            ),
            parent=self,
        )
        schedule_function(
            name,
            function,
            expression=args.schedule,
            description=f"Meters the {stack} platform's provider spend",
            role_description="Lets EventBridge Scheduler start the provider spend meter",
            invoke_sid="InvokeMeter",
            parent=self,
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
