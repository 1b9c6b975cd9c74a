"""The stack's CloudWatch dashboard: one page that answers "is it healthy, what is slow, what is failing, what is
it costing". Every alarm of the stack in one status widget; the CDNs' and the API gateway's requests, 5xx and
latency; each edge function's calls, error rate and p50/p95 execution time; failed sign-ins; the database's
CPU, memory, disk, connections, cache hit ratios and slow statements; backups; queues; storage; and provider spend
per unit and in total from the spend meter (the spend ledger's figures, ops/metrics/provider_spend.py).

Every metric in the `AiPlatform/Supabase` namespace it names is one ops/metrics publishes (the scraper's
own names, imported from there); tests/aws/test_dashboard.py puts the body through CloudWatch's PutDashboard
(moto) and compares each name with what a scraper run published."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_policy import GLOBAL_SERVICES_REGION
from components.database_metrics import NAMESPACE
from ops.metrics import backup_age, provider_spend

PERIOD = 300
WIDTH = 8  # three widgets a row (the grid is 24 wide)


@dataclass(frozen=True, kw_only=True)
class DashboardDistribution:
    label: str  # "frontend", "storage-cdn"
    distribution_id: pulumi.Input[str]


@dataclass(frozen=True, kw_only=True)
class DashboardArgs:
    region: str
    alarm_arns: Sequence[pulumi.Input[str]]
    # The edge functions' names (functions/<name>); a widget each for calls, error rate and duration.
    function_names: Sequence[str] = field(default_factory=tuple)
    distributions: Sequence[DashboardDistribution] = field(default_factory=tuple)
    backup_project_name: pulumi.Input[str] | None = None
    health_check_id: pulumi.Input[str] | None = None
    database_metrics: bool = True  # the scraper's Prometheus gauges
    logs_metrics: bool = False  # the scraper's logs and SQL figures (needs supabaseLogsAccessToken)
    provider_spend: bool = False  # the spend meter's ProviderSpendUsd (providerSpend.enabled)
    # Set: the scraper publishes BackupAgeHours; the widget marks this limit (backup.maxHoursWithoutSuccess).
    backup_age_hours_limit: float | None = None


class OperationsDashboard(pulumi.ComponentResource):
    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:dashboard:OperationsDashboard", name, None, opts)
        stack = pulumi.get_stack()
        resolved = pulumi.Output.all(
            alarms=pulumi.Output.all(*args.alarm_arns),
            distributions=pulumi.Output.all(*[d.distribution_id for d in args.distributions]),
            backup=args.backup_project_name,
            health=args.health_check_id,
        )
        body = resolved.apply(
            lambda r: json.dumps(
                dashboard_body(
                    stack=stack,
                    region=args.region,
                    alarm_arns=list(r["alarms"]),
                    function_names=list(args.function_names),
                    distributions=[(d.label, i) for d, i in zip(args.distributions, r["distributions"], strict=True)],
                    backup_project_name=r["backup"],
                    health_check_id=r["health"],
                    database_metrics=args.database_metrics,
                    logs_metrics=args.logs_metrics,
                    provider_spend=args.provider_spend,
                    backup_age_hours_limit=args.backup_age_hours_limit,
                )
            )
        )
        # The operators' first look: one page per stack, named after it.
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{pulumi.get_project()}-{stack}",
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboardName": self.dashboard_name})


def dashboard_body(
    *,
    stack: str,
    region: str,
    alarm_arns: list[str],
    function_names: list[str],
    distributions: list[tuple[str, str]],
    backup_project_name: str | None,
    health_check_id: str | None,
    database_metrics: bool,
    logs_metrics: bool,
    provider_spend: bool = False,
    backup_age_hours_limit: float | None = None,
) -> dict[str, Any]:
    ours = _OurMetrics(stack, region)
    widgets: list[dict[str, Any]] = []
    if alarm_arns:
        widgets.append(
            {
                "type": "alarm",
                "width": 24,
                "height": 4,
                "properties": {
                    "title": "Alarms",
                    "alarms": sorted(alarm_arns)[:100],
                    "sortBy": "stateUpdatedTimestamp",
                },
            }
        )
    for label, distribution_id in distributions:
        dims = ["DistributionId", distribution_id, "Region", "Global"]
        widgets += [
            _graph(
                f"CDN {label}: requests",
                GLOBAL_SERVICES_REGION,
                [["AWS/CloudFront", "Requests", *dims, {"stat": "Sum"}]],
            ),
            _graph(f"CDN {label}: 5xx rate (%)", GLOBAL_SERVICES_REGION, [["AWS/CloudFront", "5xxErrorRate", *dims]]),
            _graph(
                f"CDN {label}: origin latency (ms)",
                GLOBAL_SERVICES_REGION,
                [["AWS/CloudFront", "OriginLatency", *dims, {"stat": "p95"}]],
            ),
        ]
    if logs_metrics:
        widgets += [
            _graph("API gateway: requests", region, [ours.metric("ApiRequests", stat="Sum")]),
            _graph("API gateway: 5xx", region, [ours.metric("Api5xx", stat="Sum")]),
            _graph(
                "API gateway: latency (ms)",
                region,
                [ours.metric("ApiLatency", stat="p50"), ours.metric("ApiLatency", stat="p95")],
            ),
            # Beside each log signal, its distinct sources and the figure its alarm watches (0 while one client
            # alone causes it; ops/metrics/log_signals.py).
            _graph(
                "Functions: error rate (%), clients given a 5xx",
                region,
                [
                    ours.metric("FunctionErrorRate"),
                    ours.metric("FunctionErrorRateFromManySources"),
                    ours.metric("FunctionErrorSources"),
                ],
            ),
            _graph(
                "Failed sign-ins and their addresses",
                region,
                [
                    ours.metric("FailedSignIns", stat="Sum"),
                    ours.metric("FailedSignInsFromManySources", stat="Sum"),
                    ours.metric("FailedSignInSources"),
                ],
            ),
        ]
        for function in function_names:
            widgets += _function_widgets(ours, region, function)
    if database_metrics:
        widgets.append(
            _graph(
                "Database: CPU, memory, disk, connections (%)",
                region,
                [
                    ours.metric(name)
                    for name in ("CpuUtilization", "MemoryUtilization", "DiskUtilization", "ConnectionUtilization")
                ],
            )
        )
    if logs_metrics:
        widgets += [
            _graph(
                "Database: cache hit ratio (%)",
                region,
                [ours.metric("TableCacheHitRatio", stat="Minimum"), ours.metric("IndexCacheHitRatio", stat="Minimum")],
            ),
            _graph("Database: slow statements", region, [ours.metric("SlowStatements")]),
            _graph("Database: slowest statement mean (ms)", region, [ours.metric("SlowestStatementMilliseconds")]),
            _graph(
                "Database: size (bytes) and dead rows", region, [ours.metric("DatabaseBytes"), ours.metric("DeadRows")]
            ),
            _graph(
                "Queues: document jobs, reminders due",
                region,
                [ours.metric("DocumentJobsPending"), ours.metric("DocumentJobsFailed"), ours.metric("RemindersDue")],
            ),
            _graph("Storage used (bytes)", region, [ours.metric("StorageBytes")]),
        ]
    if provider_spend:
        widgets.append(_spend_widget(ours, region))
    if backup_age_hours_limit is not None:
        age = _graph(
            "Backups: hours since the newest complete backup",
            region,
            [ours.metric(backup_age.METRIC)],
            period=3600,
        )
        limit = {"label": "backup-age alarm", "value": backup_age_hours_limit}
        age["properties"]["annotations"] = {"horizontal": [limit]}
        widgets.append(age)
    if backup_project_name:
        dims = ["ProjectName", backup_project_name]
        widgets.append(
            _graph(
                "Backups: runs",
                region,
                [
                    ["AWS/CodeBuild", "SucceededBuilds", *dims, {"stat": "Sum"}],
                    ["AWS/CodeBuild", "FailedBuilds", *dims, {"stat": "Sum"}],
                ],
                period=3600,
            )
        )
    if health_check_id:
        widgets.append(
            _graph(
                "Health check (1 healthy)",
                GLOBAL_SERVICES_REGION,
                [["AWS/Route53", "HealthCheckStatus", "HealthCheckId", health_check_id, {"stat": "Minimum"}]],
                period=60,
            )
        )
    _place(widgets)
    return {"start": "-PT24H", "periodOverride": "inherit", "widgets": widgets}


class _OurMetrics:
    def __init__(self, stack: str, region: str) -> None:
        self.stack, self.region = stack, region

    def metric(
        self, name: str, *, stat: str = "Maximum", function: str | None = None, extra: list[str] | None = None
    ) -> list[Any]:
        dims = ["Stack", self.stack] + (["FunctionName", function] if function else []) + (extra or [])
        return [NAMESPACE, name, *dims, {"stat": stat, "label": f"{name} {stat}" if stat.startswith("p") else name}]


def _spend_widget(ours: _OurMetrics, region: str) -> dict[str, Any]:
    """Today's running total (what the daily spend alarm compares) and, by a search, each unit the ledger saw."""
    total = ours.metric(provider_spend.METRIC, extra=[provider_spend.DIMENSION, provider_spend.TOTAL])
    search = (
        f'SEARCH(\'{{{NAMESPACE},Stack,{provider_spend.DIMENSION}}} MetricName="{provider_spend.METRIC}" '
        f'Stack="{ours.stack}" NOT {provider_spend.DIMENSION}="{provider_spend.TOTAL}"\', \'Maximum\', {PERIOD})'
    )
    return _graph(
        "Provider spend today, total and per unit (USD)",
        region,
        [total, [{"expression": search, "id": "units"}]],
    )


def _function_widgets(ours: _OurMetrics, region: str, function: str) -> list[dict[str, Any]]:
    calls = ours.metric("FunctionCalls", stat="Sum", function=function)
    errors = ours.metric("Function5xx", stat="Sum", function=function)
    calls[-1] = {**calls[-1], "id": "calls", "visible": False}
    errors[-1] = {**errors[-1], "id": "errors", "visible": False}
    return [
        _graph(f"{function}: calls", region, [ours.metric("FunctionCalls", stat="Sum", function=function)]),
        _graph(
            f"{function}: error rate (%)",
            region,
            [calls, errors, [{"expression": "IF(calls > 0, 100 * errors / calls, 0)", "label": "5xx %", "id": "rate"}]],
        ),
        _graph(
            f"{function}: execution time (ms)",
            region,
            [
                ours.metric("FunctionDuration", stat="p50", function=function),
                ours.metric("FunctionDuration", stat="p95", function=function),
            ],
        ),
    ]


def _graph(title: str, region: str, metrics: list[list[Any]], *, period: int = PERIOD) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": 6,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": period,
            "metrics": metrics,
        },
    }


def _place(widgets: list[dict[str, Any]]) -> None:
    """Explicit positions, left to right then down, so the page reads the same everywhere."""
    x = y = row_height = 0
    for widget in widgets:
        if x + widget["width"] > 24:
            x, y, row_height = 0, y + row_height, 0
        widget["x"], widget["y"] = x, y
        x += widget["width"]
        row_height = max(row_height, widget["height"])
