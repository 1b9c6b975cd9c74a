"""The database's scaling triggers in CloudWatch: a scheduled scraper (Lambda) with only what it needs, its
key a secret, and alarms at guide 000 section 10.2's thresholds on the alerts topic."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from components.database_metrics import HANDLER, NAMESPACE
from ops.engineless.program import ProgramRun, run_program
from ops.engineless.provider_host import Secret
from ops.metrics.backup_age import publish_backup_age
from tests.aws.aws_mocks import SUPABASE_REF, WholeProgramMocks
from tests.aws.aws_program import SERVICE_ROLE_KEY, SUPABASE_URL
from tests.aws.helpers import all_of, one, policy, statement

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_the_scraper_runs_every_five_minutes_with_its_key_in_secrets_manager(deployed):
    function = one(deployed, "aws:lambda/function:Function", "database-metrics-function")
    assert function.inputs["handler"] == HANDLER and function.inputs["runtime"] == "python3.11"
    variables = function.inputs["environment"]["variables"]
    secret = one(deployed, "aws:secretsmanager/secret:Secret", "database-metrics-key")
    assert variables == {
        "METRICS_URL": f"{SUPABASE_URL}/customer/v1/privileged/metrics",
        "STACK": deployed.stack,
        "SERVICE_ROLE_KEY_SECRET": secret.outputs["arn"],
        "BACKUP_BUCKET": one(deployed, "aws:s3/bucket:Bucket", "backups-bucket").outputs["bucket"],
    }
    version = one(deployed, "aws:secretsmanager/secretVersion:SecretVersion", "database-metrics-key-value")
    assert "secretString" in version.secret_inputs
    assert SERVICE_ROLE_KEY not in json.dumps(function.inputs, default=str)

    schedule = one(deployed, "aws:scheduler/schedule:Schedule", "database-metrics-schedule")
    assert schedule.inputs["scheduleExpression"] == "rate(5 minutes)"
    assert schedule.inputs["target"]["arn"] == function.outputs["arn"]

    rights = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "database-metrics-policy"))
    assert statement(rights, "ReadKey")["Resource"] == secret.outputs["arn"]
    assert statement(rights, "PublishMetrics")["Condition"] == {"StringEquals": {"cloudwatch:namespace": NAMESPACE}}


def test_the_code_archive_holds_the_scraper_and_its_parser_and_nothing_compiled():
    from components.database_metrics import code_archive

    names = set(code_archive().assets)
    assert {
        "ops/__init__.py",
        "ops/metrics/lambda_handler.py",
        "ops/metrics/gauges.py",
        "prometheus_client/parser.py",
    } <= names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_alarms_at_the_guides_thresholds_notify_the_alerts_topic(deployed):
    topic = deployed.outputs["alertsTopicArn"]
    expected = {
        "database-metrics-cpu": ("CpuUtilization", 80.0, 3),
        "database-metrics-memory": ("MemoryUtilization", 90.0, 1),
        "database-metrics-disk": ("DiskUtilization", 90.0, 1),
        "database-metrics-connection": ("ConnectionUtilization", 95.0, 1),
    }
    for name, (metric, threshold, periods) in expected.items():
        alarm = one(deployed, ALARM, name).inputs
        assert (alarm["namespace"], alarm["metricName"], float(alarm["threshold"])) == (NAMESPACE, metric, threshold)
        assert alarm["dimensions"] == {"Stack": deployed.stack}
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert int(alarm["evaluationPeriods"]) == int(alarm["datapointsToAlarm"]) == periods
        assert int(alarm["evaluationPeriods"]) * int(alarm["period"]) >= (900 if metric == "CpuUtilization" else 300)
        assert alarm["alarmActions"] == [topic], name
    failing = one(deployed, ALARM, "database-metrics-scraper-failing").inputs
    assert failing["namespace"] == "AWS/Lambda" and failing["metricName"] == "Errors"
    assert failing["alarmActions"] == [topic]
    # The four gauges, the scraper, and the backup age with its silence (the stacks keep backups).
    assert len([a for a in all_of(deployed, ALARM) if a.name.startswith("database-metrics-")]) == 7


# ------------------------------------------------------------------ the log signals (guide 000 section 7.2)
LOGS_TOKEN = "sbp_logs_reader_0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def with_logs() -> ProgramRun:
    """The whole program (__main__.py) for prod with a logs token set as a secret, as an operator would."""
    return run_program(
        "prod",
        {
            "supabaseLogsAccessToken": Secret(LOGS_TOKEN),
            "alerts": {
                "enabled": True,
                "emails": ["ops@example.com"],
                "functionErrorRatePercent": 4,
                "failedSignInsPer5Minutes": 30,
                "failedSignInsMinSources": 4,
                "functionErrorsMinSources": 6,
                "slowQueryMilliseconds": 750,
                "databaseCpuPercent": 70,
                "databaseMemoryPercent": 85,
                "databaseDiskPercent": 80,
                "databaseConnectionsPercent": 90,
            },
        },
        mocks=WholeProgramMocks(),
    )


def test_the_logs_token_reaches_the_scraper_only_through_its_own_secret(with_logs):
    function = one(with_logs, "aws:lambda/function:Function", "database-metrics-function")
    variables = function.inputs["environment"]["variables"]
    token_secret = one(with_logs, "aws:secretsmanager/secret:Secret", "database-metrics-logs-token")
    key_secret = one(with_logs, "aws:secretsmanager/secret:Secret", "database-metrics-key")
    assert variables["LOGS_TOKEN_SECRET"] == token_secret.outputs["arn"]
    assert variables["PROJECT_REF"] == SUPABASE_REF and variables["MANAGEMENT_API_URL"] == "https://api.supabase.com"
    version = one(with_logs, "aws:secretsmanager/secretVersion:SecretVersion", "database-metrics-logs-token-value")
    assert version.inputs["secretString"] == LOGS_TOKEN and "secretString" in version.secret_inputs
    plain = [r for r in with_logs.resources if "secretString" not in r.secret_inputs]
    assert LOGS_TOKEN not in json.dumps([r.inputs for r in plain], default=str)
    assert LOGS_TOKEN not in json.dumps(with_logs.outputs, default=str)
    rights = policy(one(with_logs, "aws:iam/rolePolicy:RolePolicy", "database-metrics-policy"))
    assert sorted(statement(rights, "ReadKey")["Resource"]) == sorted(
        [key_secret.outputs["arn"], token_secret.outputs["arn"]]
    )


def test_function_errors_and_failed_sign_ins_alarm_at_the_configured_thresholds(with_logs):
    topic = with_logs.outputs["alertsTopicArn"]
    errors = one(with_logs, ALARM, "database-metrics-function-errors").inputs
    assert (errors["namespace"], errors["metricName"], float(errors["threshold"])) == (
        NAMESPACE,
        "FunctionErrorRateFromManySources",
        4.0,
    )
    assert int(errors["evaluationPeriods"]) == int(errors["datapointsToAlarm"]) == 3
    assert int(errors["period"]) * int(errors["evaluationPeriods"]) == 900, "over the threshold for 15 minutes"
    sign_ins = one(with_logs, ALARM, "database-metrics-failed-sign-ins").inputs
    assert (sign_ins["metricName"], sign_ins["statistic"], float(sign_ins["threshold"])) == (
        "FailedSignInsFromManySources",
        "Sum",
        30,
    )
    assert int(sign_ins["period"]) == 300 and int(sign_ins["evaluationPeriods"]) == 1
    for alarm in (errors, sign_ins):
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["dimensions"] == {"Stack": "prod"} and alarm["alarmActions"] == [topic]
        assert alarm["treatMissingData"] == "notBreaching"


def test_the_minimum_distinct_sources_reach_the_scraper_and_the_alarms_say_so(with_logs):
    """The alarms watch figures the scraper zeroes unless enough distinct clients share them
    (tests/ops/test_log_signals.py shows one client alone cannot raise them)."""
    variables = one(with_logs, "aws:lambda/function:Function", "database-metrics-function").inputs["environment"][
        "variables"
    ]
    assert (variables["FAILED_SIGN_INS_MIN_SOURCES"], variables["FUNCTION_ERRORS_MIN_SOURCES"]) == ("4", "6")
    assert (
        "at least 4 addresses" in one(with_logs, ALARM, "database-metrics-failed-sign-ins").inputs["alarmDescription"]
    )
    assert "at least 6 clients" in one(with_logs, ALARM, "database-metrics-function-errors").inputs["alarmDescription"]


def test_the_scraper_may_list_its_stacks_backups_and_nothing_more(with_logs):
    """It publishes BackupAgeHours for the dashboard from the backup bucket's folder names."""
    bucket = one(with_logs, "aws:s3/bucket:Bucket", "backups-bucket")
    variables = one(with_logs, "aws:lambda/function:Function", "database-metrics-function").inputs["environment"][
        "variables"
    ]
    assert variables["BACKUP_BUCKET"] == bucket.outputs["bucket"]
    rights = policy(one(with_logs, "aws:iam/rolePolicy:RolePolicy", "database-metrics-policy"))
    listing = statement(rights, "ListBackups")
    assert (listing["Action"], listing["Resource"]) == ("s3:ListBucket", bucket.outputs["arn"])
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "backups/prod/*"}}
    assert not any("s3:GetObject" in str(s.get("Action")) for s in rights["Statement"]), "names, never the dumps"


def test_the_database_thresholds_are_the_alerts_sections_keys(with_logs):
    expected = {
        "database-metrics-cpu": 70.0,
        "database-metrics-memory": 85.0,
        "database-metrics-disk": 80.0,
        "database-metrics-connection": 90.0,
    }
    assert {name: float(one(with_logs, ALARM, name).inputs["threshold"]) for name in expected} == expected


def test_a_statement_slower_than_slow_query_milliseconds_alarms(with_logs):
    variables = one(with_logs, "aws:lambda/function:Function", "database-metrics-function").inputs["environment"][
        "variables"
    ]
    assert variables["SLOW_QUERY_MILLISECONDS"] == "750", "the scraper counts statements over the configured mean"
    slow = one(with_logs, ALARM, "database-metrics-slow-statements").inputs
    assert (slow["namespace"], slow["metricName"], slow["comparisonOperator"], float(slow["threshold"])) == (
        NAMESPACE,
        "SlowStatements",
        "GreaterThanThreshold",
        0.0,
    )
    assert "750 ms" in slow["alarmDescription"] and slow["alarmActions"] == [with_logs.outputs["alertsTopicArn"]]


def test_without_a_logs_token_neither_alarm_nor_its_secret_exists(deployed):
    names = {r.name for r in deployed.resources}
    assert (
        not {
            "database-metrics-function-errors",
            "database-metrics-failed-sign-ins",
            "database-metrics-slow-statements",
            "database-metrics-logs-token",
        }
        & names
    )
    variables = one(deployed, "aws:lambda/function:Function", "database-metrics-function").inputs["environment"]
    assert "LOGS_TOKEN_SECRET" not in variables["variables"]


def test_the_log_thresholds_default_to_the_guide_and_refuse_nonsense():
    from stackconfig.aws import AlertsConfig

    defaults = AlertsConfig()
    assert (defaults.function_error_rate_percent, defaults.failed_sign_ins_per_5_minutes) == (5.0, 50)
    with pytest.raises(ValueError, match="functionErrorRatePercent"):
        AlertsConfig.model_validate({"functionErrorRatePercent": 0})
    with pytest.raises(ValueError, match="failedSignInsPer5Minutes"):
        AlertsConfig.model_validate({"failedSignInsPer5Minutes": 0})
    assert (defaults.failed_sign_ins_min_sources, defaults.function_errors_min_sources) == (3, 3)
    for key in ("failedSignInsMinSources", "functionErrorsMinSources"):
        with pytest.raises(ValueError, match=key):
            AlertsConfig.model_validate({key: 1})  # one source is what the minimum is there to refuse


def test_the_logs_token_is_optional_and_refused_in_plain_text():
    from stackconfig.errors import ConfigError
    from stackconfig.loader import validate_config

    unset = validate_config({"supabaseLogsAccessToken": ""}, stack_file="Pulumi.prod.yaml")
    assert unset.supabase_logs_access_token is None, "the engine's empty default means: no log alarms"
    with pytest.raises(ConfigError, match="supabaseLogsAccessToken: must be a secret") as refused:
        validate_config({"supabaseLogsAccessToken": LOGS_TOKEN}, stack_file="Pulumi.prod.yaml")
    assert LOGS_TOKEN not in str(refused.value)


# ------------------------------------------------------------------ the backups themselves (BackupAgeHours)
def test_backup_age_over_the_limit_alarms_on_the_alerts_topic(deployed):
    """The scraper's BackupAgeHours against backup.maxHoursWithoutSuccess (26 by default), within the hour."""
    topic = deployed.outputs["alertsTopicArn"]
    age = one(deployed, ALARM, "database-metrics-backup-age").inputs
    assert (age["namespace"], age["metricName"], age["dimensions"]) == (
        NAMESPACE,
        "BackupAgeHours",
        {"Stack": deployed.stack},
    )
    assert (age["statistic"], age["comparisonOperator"], float(age["threshold"])) == (
        "Maximum",
        "GreaterThanThreshold",
        26.0,
    )
    assert int(age["period"]) * int(age["evaluationPeriods"]) == 3600
    assert age["treatMissingData"] == "missing", "silence is the other alarm's; it must not clear this one"
    assert age["alarmActions"] == age["okActions"] == [topic]


def test_no_backup_at_all_alarms_only_after_a_whole_window_of_silence(deployed):
    """No complete backup means no figure: breaching, but only when every hour of the window lacks one, so a new
    stack has until its first scheduled backup is overdue."""
    silent = one(deployed, ALARM, "database-metrics-backup-age-silent").inputs
    assert (silent["metricName"], silent["dimensions"], silent["statistic"]) == (
        "BackupAgeHours",
        {"Stack": deployed.stack},
        "SampleCount",
    )
    assert (silent["comparisonOperator"], float(silent["threshold"])) == ("LessThanThreshold", 1.0)
    assert silent["treatMissingData"] == "breaching"
    assert int(silent["period"]) == 3600
    assert int(silent["evaluationPeriods"]) == int(silent["datapointsToAlarm"]) == 26
    assert silent["alarmActions"] == silent["okActions"] == [deployed.outputs["alertsTopicArn"]]


def test_max_hours_without_success_moves_both_backup_age_alarms():
    run = run_program(
        "prod",
        {
            "backup": {"enabled": True, "sourceRepository": "example-org/ai-platform", "maxHoursWithoutSuccess": 50},
            "alerts": {"enabled": True, "emails": ["ops@example.com"]},
        },
        mocks=WholeProgramMocks(),
    )
    assert float(one(run, ALARM, "database-metrics-backup-age").inputs["threshold"]) == 50.0
    silent = one(run, ALARM, "database-metrics-backup-age-silent").inputs
    assert int(silent["evaluationPeriods"]) == int(silent["datapointsToAlarm"]) == 50
    assert "50 hours" in one(run, ALARM, "database-metrics-backup-age").inputs["alarmDescription"]


def test_the_backup_age_alarms_watch_exactly_what_a_scraper_run_publishes(deployed, monkeypatch):
    """Put into CloudWatch (moto) as defined, CloudWatch finds both alarms from the scraper's own datapoint."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_aws():
        s3, cloudwatch = boto3.client("s3"), boto3.client("cloudwatch")
        s3.create_bucket(Bucket="backups", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        s3.put_object(Bucket="backups", Key=f"backups/{deployed.stack}/20261207T020000Z/manifest.json", Body=b"{}")
        published = publish_backup_age(s3, "backups", deployed.stack, cloudwatch, namespace=NAMESPACE)
        assert published["BackupAgeHours"] > 0
        for name in ("database-metrics-backup-age", "database-metrics-backup-age-silent"):
            alarm = one(deployed, ALARM, name).inputs
            cloudwatch.put_metric_alarm(
                AlarmName=name,
                Namespace=alarm["namespace"],
                MetricName=alarm["metricName"],
                Dimensions=[{"Name": k, "Value": v} for k, v in alarm["dimensions"].items()],
                Statistic=alarm["statistic"],
                Period=int(alarm["period"]),
                EvaluationPeriods=int(alarm["evaluationPeriods"]),
                DatapointsToAlarm=int(alarm["datapointsToAlarm"]),
                ComparisonOperator=alarm["comparisonOperator"],
                Threshold=float(alarm["threshold"]),
                TreatMissingData=alarm["treatMissingData"],
            )
        watching = cloudwatch.describe_alarms_for_metric(
            MetricName="BackupAgeHours",
            Namespace=NAMESPACE,
            Dimensions=[{"Name": "Stack", "Value": deployed.stack}],
        )["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in watching) == [
        "database-metrics-backup-age",
        "database-metrics-backup-age-silent",
    ]
