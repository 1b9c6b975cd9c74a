"""The parts every small Lambda function of the stack is made of (the database metrics scraper, the provider spend
meter, the Slack alert forwarder): its code packed from this repository's sources, a secret it reads, its log
group, role and policy, and the schedule that starts it.

Functions, not a component: each part keeps the resource name and parent its caller gives it, so the callers'
URNs are the ones they always had (a new parent would change every URN and make Pulumi replace the resources).
tests/aws/test_lambda_parts.py pins those URNs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws_policy import policy_document, service_trust_policy
from stackconfig.paths import PROJECT_ROOT

RUNTIME = "python3.11"

# Lambda assumes the role; written as json.dumps wrote it in each component before, so the input is unchanged.
LAMBDA_TRUST_POLICY = json.dumps(
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
)


def source_archive(packages: Iterable[str], libraries: Sequence[ModuleType] = ()) -> pulumi.AssetArchive:
    """This repository's `packages` (e.g. "ops/metrics": its .py files, under an empty ops/__init__.py) and each
    library's sources, file by file: the archive's hash changes only when the code does."""
    assets: dict[str, pulumi.Asset | pulumi.Archive] = {"ops/__init__.py": pulumi.StringAsset("")}
    for package in packages:
        for path in sorted((PROJECT_ROOT / package).glob("*.py")):
            assets[f"{package}/{path.name}"] = pulumi.FileAsset(str(path))
    for library in libraries:
        assert library.__file__ is not None
        root = Path(library.__file__).parent
        for path in sorted(root.rglob("*.py")):
            assets[f"{library.__name__}/{path.relative_to(root).as_posix()}"] = pulumi.FileAsset(str(path))
    return pulumi.AssetArchive(assets)


def stored_secret(
    name: str, *, description: str, value: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.secretsmanager.Secret:
    """A Secrets Manager secret (`name`) and its value (`name`-value), secret in the state too."""
    secret = aws.secretsmanager.Secret(name, description=description, recovery_window_in_days=7, opts=opts)
    aws.secretsmanager.SecretVersion(
        f"{name}-value", secret_id=secret.id, secret_string=pulumi.Output.secret(value), opts=opts
    )
    return secret


@dataclass(frozen=True, kw_only=True)
class LambdaSpec:
    prefix: str  # the log group, role and policy are `prefix`-logs, -role, -policy
    function_resource: str  # the function's resource name
    function_name: str  # its name in AWS (the log group is /aws/lambda/<function_name>)
    description: str
    role_description: str
    handler: str
    code: pulumi.Archive
    timeout: int
    statements: Sequence[Mapping[str, Any]]  # what it may do besides writing its log
    environment: Mapping[str, pulumi.Input[str]]
    log_retention_days: int = 30
    memory_size: int = 128


def lambda_function(spec: LambdaSpec, parent: pulumi.Resource) -> aws.lambda_.Function:
    """The function with its log group and a role that may write that log and do `statements`, nothing else."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{spec.prefix}-logs",
        name=f"/aws/lambda/{spec.function_name}",
        retention_in_days=spec.log_retention_days,
        opts=child,
    )
    role = aws.iam.Role(
        f"{spec.prefix}-role", description=spec.role_description, assume_role_policy=LAMBDA_TRUST_POLICY, opts=child
    )
    write_logs = {
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": pulumi.Output.concat(log_group.arn, ":*"),
    }
    aws.iam.RolePolicy(
        f"{spec.prefix}-policy", role=role.name, policy=policy_document([write_logs, *spec.statements]), opts=child
    )
    return aws.lambda_.Function(
        spec.function_resource,
        name=spec.function_name,
        description=spec.description,
        runtime=RUNTIME,
        handler=spec.handler,
        code=spec.code,
        role=role.arn,
        timeout=spec.timeout,
        memory_size=spec.memory_size,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(spec.environment)),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[log_group]),
    )


def schedule_function(
    prefix: str,
    function: aws.lambda_.Function,
    *,
    expression: str,
    description: str,
    role_description: str,
    invoke_sid: str,
    parent: pulumi.Resource,
) -> None:
    """EventBridge Scheduler starts `function` on `expression`, through a role that may invoke it alone
    (`prefix`-scheduler, -scheduler-policy, -schedule)."""
    child = pulumi.ResourceOptions(parent=parent)
    account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id
    scheduler_role = aws.iam.Role(
        f"{prefix}-scheduler",
        description=role_description,
        assume_role_policy=service_trust_policy("scheduler.amazonaws.com", account_id),
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{prefix}-scheduler-policy",
        role=scheduler_role.name,
        policy=policy_document(
            [{"Sid": invoke_sid, "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": function.arn}]
        ),
        opts=child,
    )
    aws.scheduler.Schedule(
        f"{prefix}-schedule",
        description=description,
        schedule_expression=expression,
        flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
        target=aws.scheduler.ScheduleTargetArgs(arn=function.arn, role_arn=scheduler_role.arn),
        opts=child,
    )
