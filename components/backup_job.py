"""Scheduled backups owned by the program: an AWS CodeBuild project checks the repository out and runs
`python -m ops backup` with pg_dump installed, started by EventBridge Scheduler on the stack's schedule.

Why CodeBuild: it runs the repository's own code without an image to build and publish, installs the
matching PostgreSQL client in seconds, reads the database URL from Secrets Manager straight into the
environment (buildspec `env.secrets-manager`), keeps its logs in CloudWatch Logs and publishes
SucceededBuilds / FailedBuilds metrics the alarms watch. A dump outlives Lambda's 15 minutes; Fargate would
need an image pipeline for the same result."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import yaml

from components.aws_policy import policy_document, service_trust_policy

# Ubuntu 22.04 with Python 3.11, the version the program pins.
BUILD_IMAGE = "aws/codebuild/standard:7.0"
BACKUP_COMMAND = 'python -m ops backup --bucket "$BACKUP_BUCKET" --stack "$BACKUP_STACK"'
# EventBridge Scheduler calls CodeBuild's StartBuild through its universal (AWS SDK) target.
START_BUILD_TARGET = "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"


@dataclass(frozen=True, kw_only=True)
class StorageS3Access:
    """How the job reads Supabase Storage through its S3 endpoint: a session token (Supabase's documented
    S3 authentication with a JWT: access key = project ref, secret key = anon key, session token = the JWT).
    The service-role JWT as session token reads every bucket; the program has it, so no key is made by hand."""

    endpoint_url: pulumi.Input[str]  # https://<ref>.storage.supabase.co/storage/v1/s3
    region: str
    access_key_id: pulumi.Input[str]
    secret_access_key: pulumi.Input[str]
    session_token: pulumi.Input[str]


# Each key of the storage secret becomes one variable of the build (buildspec `env.secrets-manager`).
STORAGE_SECRET_VARIABLES = {
    "STORAGE_S3_ACCESS_KEY_ID": "access_key_id",
    "STORAGE_S3_SECRET_ACCESS_KEY": "secret_access_key",
    "STORAGE_S3_SESSION_TOKEN": "session_token",
}


@dataclass(frozen=True, kw_only=True)
class BackupJobArgs:
    bucket_name: pulumi.Input[str]
    stack: str
    # The writer role from BackupStorage: the job runs as it, and only adds logs and its secret to it.
    writer_role_name: pulumi.Input[str]
    writer_role_arn: pulumi.Input[str]
    # The Supabase database's URL with its password (session pooler): stored as a Secrets Manager secret.
    database_url: pulumi.Input[str]
    source_repository: str
    source_version: str = "main"
    source_connection_arn: str | None = None
    schedule: str = "cron(0 2 * * ? *)"
    schedule_timezone: str = "UTC"
    postgres_client_version: int = 17
    build_timeout_minutes: int = 60
    log_retention_days: int = 90
    # Set: each run also copies the Storage buckets (changed objects only) into the backup.
    storage: StorageS3Access | None = None


def buildspec(secret_name: str, postgres_client_version: int, storage_secret_name: str | None = None) -> str:
    """The job's steps. pg_dump must be at least the server's major version, so it comes from PGDG rather
    than Ubuntu's older default client."""
    pgdg_key = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc"
    return yaml.safe_dump(
        {
            "version": 0.2,
            "env": {
                "shell": "bash",
                # Read at run time into the build's environment, masked in logs; never in the project definition.
                "secrets-manager": {
                    "DATABASE_URL": secret_name,
                    **(
                        {variable: f"{storage_secret_name}:{key}" for variable, key in STORAGE_SECRET_VARIABLES.items()}
                        if storage_secret_name
                        else {}
                    ),
                },
            },
            "phases": {
                "install": {
                    "runtime-versions": {"python": "3.11"},
                    "commands": [
                        "install -d /usr/share/postgresql-common/pgdg",
                        f"curl -fsSL -o {pgdg_key} https://www.postgresql.org/media/keys/ACCC4CF8.asc",
                        f'echo "deb [signed-by={pgdg_key}] https://apt.postgresql.org/pub/repos/apt '
                        '$(lsb_release -cs)-pgdg main" > /etc/apt/sources.list.d/pgdg.list',
                        "apt-get update -qq",
                        f"apt-get install -y -qq --no-install-recommends postgresql-client-{postgres_client_version}",
                        "pip install --quiet -r requirements.txt",
                    ],
                },
                "build": {"commands": ["pg_dump --version", BACKUP_COMMAND]},
            },
        },
        sort_keys=False,
        width=1000,
    )


class BackupJob(pulumi.ComponentResource):
    project_name: pulumi.Output[str]
    project_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]

    def __init__(self, name: str, args: BackupJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:backup_job:BackupJob", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        secret = aws.secretsmanager.Secret(
            f"{name}-database-url",
            description=f"Database URL the backup job of {pulumi.get_project()} ({pulumi.get_stack()}) dumps",
            recovery_window_in_days=7,
            opts=child,
        )
        aws.secretsmanager.SecretVersion(
            f"{name}-database-url-value",
            secret_id=secret.id,
            # Forced secret where it enters: the URL carries the database password.
            secret_string=pulumi.Output.secret(args.database_url),
            opts=child,
        )

        storage_secret = None
        if args.storage is not None:
            storage = args.storage
            storage_secret = aws.secretsmanager.Secret(
                f"{name}-storage-s3",
                description=f"Supabase Storage S3 credentials the backup job of {pulumi.get_stack()} copies with",
                recovery_window_in_days=7,
                opts=child,
            )
            storage_json: pulumi.Input[str] = pulumi.Output.json_dumps(
                {
                    "access_key_id": storage.access_key_id,
                    "secret_access_key": storage.secret_access_key,
                    "session_token": storage.session_token,
                }
            )
            aws.secretsmanager.SecretVersion(
                f"{name}-storage-s3-value",
                secret_id=storage_secret.id,
                # The session token is the service-role key: secret where it enters, like the database URL.
                secret_string=pulumi.Output.secret(storage_json),
                opts=child,
            )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/codebuild/{pulumi.get_project()}-{pulumi.get_stack()}-backup",
            retention_in_days=args.log_retention_days,
            opts=child,
        )

        # The writer role gains exactly what running the job needs: its log group, its secret, its connection.
        job_statements: list[dict[str, object]] = [
            {
                "Sid": "WriteLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": pulumi.Output.concat(log_group.arn, ":*"),
            },
            {
                "Sid": "ReadDatabaseUrl",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret.arn,
            },
        ]
        if storage_secret is not None:
            job_statements.append(
                {
                    "Sid": "ReadStorageKeys",
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": storage_secret.arn,
                }
            )
        if args.source_connection_arn:
            job_statements.append(
                {
                    "Sid": "CheckOutPrivateRepository",
                    "Effect": "Allow",
                    "Action": ["codeconnections:UseConnection", "codeconnections:GetConnectionToken"],
                    "Resource": args.source_connection_arn,
                }
            )
        job_policy = aws.iam.RolePolicy(
            f"{name}-run-policy",
            role=args.writer_role_name,
            policy=policy_document(job_statements),
            opts=child,
        )

        project = aws.codebuild.Project(
            f"{name}-project",
            description=f"Dumps the {pulumi.get_stack()} database into the backup bucket (python -m ops backup)",
            service_role=args.writer_role_arn,
            build_timeout=args.build_timeout_minutes,
            queued_timeout=60,
            # Two dumps at once double the load on the database and produce nothing better.
            concurrent_build_limit=1,
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"https://github.com/{args.source_repository}.git",
                git_clone_depth=1,
                buildspec=pulumi.Output.all(secret.name, storage_secret.name if storage_secret else None).apply(
                    lambda names: buildspec(names[0], args.postgres_client_version, names[1])
                ),
                auth=(
                    aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=args.source_connection_arn)
                    if args.source_connection_arn
                    else None
                ),
            ),
            source_version=args.source_version,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                type="LINUX_CONTAINER",
                compute_type="BUILD_GENERAL1_SMALL",
                image=BUILD_IMAGE,
                environment_variables=[
                    aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                        name="BACKUP_BUCKET", value=args.bucket_name, type="PLAINTEXT"
                    ),
                    aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                        name="BACKUP_STACK", value=args.stack, type="PLAINTEXT"
                    ),
                    # `ops backup` copies Storage when its endpoint is set (the keys come from the secret).
                    *(
                        [
                            aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                                name="STORAGE_S3_ENDPOINT_URL", value=args.storage.endpoint_url, type="PLAINTEXT"
                            ),
                            aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                                name="STORAGE_S3_REGION", value=args.storage.region, type="PLAINTEXT"
                            ),
                        ]
                        if args.storage is not None
                        else []
                    ),
                ],
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=log_group.name
                ),
                s3_logs=aws.codebuild.ProjectLogsConfigS3LogsArgs(status="DISABLED"),
            ),
            # CodeBuild checks the role's permissions when the project is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[job_policy]),
        )

        scheduler_role = aws.iam.Role(
            f"{name}-scheduler",
            description="Lets EventBridge Scheduler start the backup job",
            assume_role_policy=service_trust_policy("scheduler.amazonaws.com", account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-scheduler-policy",
            role=scheduler_role.name,
            policy=policy_document(
                [{"Sid": "StartBackup", "Effect": "Allow", "Action": "codebuild:StartBuild", "Resource": project.arn}]
            ),
            opts=child,
        )
        aws.scheduler.Schedule(
            f"{name}-schedule",
            description=f"Starts the {pulumi.get_stack()} database backup",
            schedule_expression=args.schedule,
            schedule_expression_timezone=args.schedule_timezone,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=START_BUILD_TARGET,
                role_arn=scheduler_role.arn,
                input=project.name.apply(lambda project_name: json.dumps({"ProjectName": project_name})),
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=3, maximum_event_age_in_seconds=3600
                ),
            ),
            opts=child,
        )

        self.project_name = project.name
        self.project_arn = project.arn
        self.log_group_name = log_group.name
        self.register_outputs({"projectName": self.project_name, "logGroupName": self.log_group_name})
