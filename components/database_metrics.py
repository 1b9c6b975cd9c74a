"""The database's scaling triggers (guide 000 section 10.2) as CloudWatch alarms: a small Lambda function,
started every five minutes by EventBridge Scheduler, scrapes Supabase's Prometheus metrics endpoint
(ops/metrics) and publishes CPU, memory, disk and connection use; alarms at the guide's thresholds notify the
stack's alerts topic, and so does a scraper that keeps failing (no data would otherwise look like no problem).

Why Lambda: the scrape takes seconds every five minutes; CodeBuild's minute of start-up each time would cost
more than the work. The code is this repository's ops/metrics and the prometheus_client it imports, packed
file by file (sources only, so the archive's hash changes only when the code does).

With a logs access token (LogSignalsArgs) the same run also counts guide 000 section 7.2's log signals, the
edge functions' error rate and failed sign-ins, through the Management API's logs endpoint, and reads
guide 002's statement figures (slow statements, cache hit ratios, dead rows) through its read-only SQL
endpoint; that token is a second secret, read only by this function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import prometheus_client
import pulumi
import pulumi_aws as aws

from components.backup_age_alarms import backup_age_alarms
from components.lambda_parts import (
    RUNTIME,
    LambdaSpec,
    lambda_function,
    schedule_function,
    source_archive,
    stored_secret,
)

NAMESPACE = "AiPlatform/Supabase"  # ops/metrics/scrape.py publishes here
HANDLER = "ops.metrics.lambda_handler.handler"
__all__ = [
    "HANDLER",
    "NAMESPACE",
    "RUNTIME",
    "DatabaseMetrics",
    "DatabaseMetricsArgs",
    "LogSignalsArgs",
    "code_archive",
]


@dataclass(frozen=True, kw_only=True)
class LogSignalsArgs:
    management_api_url: pulumi.Input[str]
    project_ref: pulumi.Input[str]
    access_token: pulumi.Input[str]  # a Management API token that may read the project's logs, a secret
    # Guide 000 section 7.2: the functions' error rate over 5 % for 15 minutes; failed sign-ins per 5 minutes.
    function_error_rate_percent: float = 5.0
    function_error_rate_periods: int = 3
    failed_sign_ins_per_5_minutes: int = 50
    # Distinct client addresses a signal needs before it can alarm: one client cannot page the team alone.
    failed_sign_ins_min_sources: int = 3
    function_errors_min_sources: int = 3
    # Guide 000 section 10.2: "query response time > 1 second" (a statement's mean time, pg_stat_statements).
    slow_query_milliseconds: float = 1000.0


@dataclass(frozen=True, kw_only=True)
class DatabaseMetricsArgs:
    metrics_url: pulumi.Input[str]  # https://<ref>.supabase.co/customer/v1/privileged/metrics
    service_role_key: pulumi.Input[str]  # the endpoint's basic-auth password
    topic_arn: pulumi.Input[str]
    schedule: str = "rate(5 minutes)"
    # Guide 000 section 10.2: CPU over 80 % sustained, memory over 90 %, the connection pool exhausted;
    # 7.2 adds a full disk.
    cpu_percent: float = 80.0
    cpu_sustained_periods: int = 3
    memory_percent: float = 90.0
    disk_percent: float = 90.0
    connections_percent: float = 95.0
    log_retention_days: int = 30
    logs: LogSignalsArgs | None = None
    # Set when the stack has backups: each run also publishes BackupAgeHours, the age of the newest complete
    # backup in this bucket (ops/metrics/backup_age.py), for the dashboard.
    backup_bucket_name: pulumi.Input[str] | None = None
    backup_bucket_arn: pulumi.Input[str] | None = None
    # backup.maxHoursWithoutSuccess: BackupAgeHours over this alarms (components/backup_age_alarms.py).
    max_hours_without_backup: int = 26


def code_archive() -> pulumi.AssetArchive:
    """ops/metrics and the prometheus_client it imports (the spend meter runs from the same archive)."""
    return source_archive(["ops/metrics"], [prometheus_client])


class DatabaseMetrics(pulumi.ComponentResource):
    function_name: pulumi.Output[str]

    def __init__(self, name: str, args: DatabaseMetricsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:database_metrics:DatabaseMetrics", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.alarm_arns: list[pulumi.Output[str]] = []  # for the dashboard's status widget
        stack = pulumi.get_stack()

        # The endpoint's password is the service-role key: a secret, read by the function at run time.
        secret = stored_secret(
            f"{name}-key",
            description=f"Service-role key the {stack} metrics scraper signs in with",
            value=args.service_role_key,
            opts=child,
        )
        secret_arns: list[pulumi.Input[str]] = [secret.arn]
        variables: dict[str, pulumi.Input[str]] = {
            "METRICS_URL": args.metrics_url,
            "STACK": stack,
            "SERVICE_ROLE_KEY_SECRET": secret.arn,
        }
        if args.logs is not None:
            token = stored_secret(
                f"{name}-logs-token",
                description=f"Management API token the {stack} metrics scraper reads the project's logs with",
                value=args.logs.access_token,
                opts=child,
            )
            secret_arns.append(token.arn)
            variables |= {
                "LOGS_TOKEN_SECRET": token.arn,
                "MANAGEMENT_API_URL": args.logs.management_api_url,
                "PROJECT_REF": args.logs.project_ref,
                "SLOW_QUERY_MILLISECONDS": f"{args.logs.slow_query_milliseconds:g}",
                "FAILED_SIGN_INS_MIN_SOURCES": str(args.logs.failed_sign_ins_min_sources),
                "FUNCTION_ERRORS_MIN_SOURCES": str(args.logs.function_errors_min_sources),
            }
        # Exactly what a run needs: its logs, its secret, metrics in its own namespace (and, with backups, the
        # listing of this stack's backup folder: names only, never an object's bytes).
        backup_listing: list[dict[str, Any]] = []
        if args.backup_bucket_name is not None and args.backup_bucket_arn is not None:
            variables["BACKUP_BUCKET"] = args.backup_bucket_name
            backup_listing.append(
                {
                    "Sid": "ListBackups",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": args.backup_bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": f"backups/{stack}/*"}},
                }
            )
        function = lambda_function(
            LambdaSpec(
                prefix=name,
                function_resource=f"{name}-function",
                function_name=f"{pulumi.get_project()}-{stack}-db-metrics",
                description="Scrapes Supabase's metrics endpoint into CloudWatch (ops/metrics)",
                role_description="Runs the database metrics scraper",
                handler=HANDLER,
                code=code_archive(),
                # Two scrapes 15 s apart, then two logs queries, each bounded at 20 s: a slow API is a failed run.
                timeout=120,
                log_retention_days=args.log_retention_days,
                statements=[
                    {
                        "Sid": "ReadKey",
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": secret_arns if len(secret_arns) > 1 else secret.arn,
                    },
                    {
                        "Sid": "PublishMetrics",
                        "Effect": "Allow",
                        "Action": "cloudwatch:PutMetricData",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"cloudwatch:namespace": NAMESPACE}},
                    },
                    *backup_listing,
                ],
                environment=variables,
            ),
            parent=self,
        )
        schedule_function(
            name,
            function,
            expression=args.schedule,
            description=f"Scrapes the {stack} database's metrics",
            role_description="Lets EventBridge Scheduler start the metrics scraper",
            invoke_sid="InvokeScraper",
            parent=self,
        )

        for metric, threshold, periods in (
            ("CpuUtilization", args.cpu_percent, args.cpu_sustained_periods),
            ("MemoryUtilization", args.memory_percent, 1),
            ("DiskUtilization", args.disk_percent, 1),
            ("ConnectionUtilization", args.connections_percent, 1),
        ):
            self._alarm(
                f"{name}-{metric.removesuffix('Utilization').lower()}",
                args.topic_arn,
                alarm_description=f"Database {metric} over {threshold:g}% (guide 000 section 10.2)",
                namespace=NAMESPACE,
                metric_name=metric,
                dimensions={"Stack": stack},
                statistic="Maximum",
                period=300,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator="GreaterThanThreshold",
                threshold=threshold,
                # The scraper's own alarm below covers silence; a missing point is not a full disk.
                treat_missing_data="missing",
            )
        if args.logs is not None:
            self._log_signal_alarms(name, args.topic_arn, args.logs, stack)
        if args.backup_bucket_name is not None:
            for alarm in backup_age_alarms(name, stack=stack, max_hours=args.max_hours_without_backup):
                self._alarm(alarm.pop("resource_name"), args.topic_arn, **alarm)
        self._alarm(
            f"{name}-scraper-failing",
            args.topic_arn,
            alarm_description="The database metrics scraper failed in each of its last three runs",
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": function.name},
            statistic="Sum",
            period=300,
            evaluation_periods=3,
            datapoints_to_alarm=3,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            treat_missing_data="notBreaching",
        )

        self.function_name = function.name
        self.register_outputs({"functionName": self.function_name})

    def _log_signal_alarms(self, name: str, topic_arn: pulumi.Input[str], logs: LogSignalsArgs, stack: str) -> None:
        periods = logs.function_error_rate_periods
        self._alarm(
            f"{name}-function-errors",
            topic_arn,
            alarm_description=(
                f"Edge functions answered 5xx to over {logs.function_error_rate_percent:g}% of calls "
                f"for {periods * 5} minutes, to at least {logs.function_errors_min_sources} clients "
                "(guide 000 section 7.2)"
            ),
            namespace=NAMESPACE,
            # The rate, counted only when enough distinct clients got the 5xx (ops/metrics/log_signals.py).
            metric_name="FunctionErrorRateFromManySources",
            dimensions={"Stack": stack},
            statistic="Maximum",
            period=300,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            comparison_operator="GreaterThanThreshold",
            threshold=logs.function_error_rate_percent,
            # No calls publish no rate: a quiet night is not an outage (the scraper's own alarm covers silence).
            treat_missing_data="notBreaching",
        )
        self._alarm(
            f"{name}-failed-sign-ins",
            topic_arn,
            alarm_description=(
                f"Over {logs.failed_sign_ins_per_5_minutes} refused sign-ins in 5 minutes from at least "
                f"{logs.failed_sign_ins_min_sources} addresses: password guessing or credential stuffing? "
                "(guide 000 section 7.2)"
            ),
            namespace=NAMESPACE,
            # The count, counted only when enough distinct addresses were refused (ops/metrics/log_signals.py).
            metric_name="FailedSignInsFromManySources",
            dimensions={"Stack": stack},
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator="GreaterThanThreshold",
            threshold=logs.failed_sign_ins_per_5_minutes,
            treat_missing_data="notBreaching",
        )
        self._alarm(
            f"{name}-slow-statements",
            topic_arn,
            alarm_description=(
                f"A statement's mean time is over {logs.slow_query_milliseconds:g} ms "
                "(guide 000 section 10.2; docs/runbooks.md says what to do)"
            ),
            namespace=NAMESPACE,
            metric_name="SlowStatements",
            dimensions={"Stack": stack},
            statistic="Maximum",
            period=300,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            treat_missing_data="notBreaching",
        )

    def _alarm(self, resource_name: str, topic_arn: pulumi.Input[str], **metric: Any) -> None:
        # `metric`: MetricAlarm's own keyword arguments (namespace, metric_name, threshold, ...).
        alarm = aws.cloudwatch.MetricAlarm(
            resource_name,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            opts=pulumi.ResourceOptions(parent=self),
            **metric,
        )
        self.alarm_arns.append(alarm.arn)
