"""How GitHub Actions reaches the account without stored keys: the GitHub OIDC provider and its roles: one that
deploys from the deploy branch, one read-only role for pull-request previews, and one for the daily data lifecycle
job (.github/workflows/data-lifecycle.yml) that may do only what that job does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import policy_document

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
LIFECYCLE_METRICS_NAMESPACE = "AiPlatform/Supabase"  # ops/metrics/scrape.py NAMESPACE, where the job's counts go


@dataclass(frozen=True, kw_only=True)
class PrunedBackupBucket:
    """A backup bucket (or its replica) whose Storage copies the lifecycle job prunes (`ops backup-prune`)."""

    bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]  # the bucket's KMS key: the indexes are read through it
    stack_prefix: str  # backups/<stack>/


@dataclass(frozen=True, kw_only=True)
class CiIdentityArgs:
    github_repository: str  # owner/name
    deploy_branch: str = "main"
    # Set when the deploy job declares `environment:`: GitHub then signs `environment:<name>` as subject.
    deploy_environment: str | None = None
    # An account holds one provider per URL: a second stack in the account passes the first one's ARN.
    oidc_provider_arn: str | None = None
    deploy_policy_arns: Sequence[str] = ("arn:aws:iam::aws:policy/AdministratorAccess",)
    preview_policy_arns: Sequence[str] = ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    # Data a preview must never read even though ReadOnlyAccess would let it: the database dumps.
    backup_bucket_arn: pulumi.Input[str] | None = None
    # The data lifecycle job's environment (GitHub signs `environment:<name>`); None: no lifecycle role.
    lifecycle_environment: str | None = None
    # The document archive the lifecycle job moves files to and from (components/document_archive.py).
    archive_bucket_arn: pulumi.Input[str] | None = None
    # The backup bucket and its replica, whose copies no kept backup names the lifecycle job removes.
    pruned_backup_buckets: Sequence[PrunedBackupBucket] = ()


def deploy_subjects(repository: str, branch: str, environment: str | None) -> list[str]:
    """The OIDC subjects the deploy role trusts. GitHub's subject for a job with `environment:` names only the
    environment (no branch): the environment's deployment-branch rule is what keeps other branches out."""
    subjects = [f"repo:{repository}:ref:refs/heads/{branch}"]
    if environment:
        subjects.append(f"repo:{repository}:environment:{environment}")
    return subjects


class CiIdentity(pulumi.ComponentResource):
    oidc_provider_arn: pulumi.Output[str]
    deploy_role_arn: pulumi.Output[str]
    preview_role_arn: pulumi.Output[str]
    lifecycle_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: CiIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:ci_identity:CiIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        if args.oidc_provider_arn:
            provider_arn: pulumi.Output[str] = pulumi.Output.from_input(args.oidc_provider_arn)
        else:
            # No thumbprints: IAM trusts GitHub's OIDC endpoint through its own certificate authorities.
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc",
                url=GITHUB_OIDC_URL,
                client_id_lists=[STS_AUDIENCE],
                opts=child,
            )
            provider_arn = provider.arn
        self.oidc_provider_arn = provider_arn

        repository = args.github_repository
        # `sub` names the repository and what ran the workflow: a push, dispatch or schedule on the deploy
        # branch (the production job, drift and the drill) or, when set, a job in the deploy environment.
        deploy = self._role(
            f"{name}-deploy",
            provider_arn,
            description=f"Deploys {pulumi.get_stack()} from {repository}@{args.deploy_branch}",
            subjects=deploy_subjects(repository, args.deploy_branch, args.deploy_environment),
            policy_arns=args.deploy_policy_arns,
            max_session_seconds=7200,
        )
        # Pull-request workflows carry `repo:<owner>/<name>:pull_request`; forks get no token at all.
        preview = self._role(
            f"{name}-preview",
            provider_arn,
            description=f"Read-only previews of {pulumi.get_stack()} for pull requests of {repository}",
            subjects=[f"repo:{repository}:pull_request"],
            policy_arns=args.preview_policy_arns,
            max_session_seconds=3600,
        )
        denied: list[dict[str, object]] = [
            {
                # Read-only is not read-everything: secrets stay out of pull requests.
                "Sid": "NoSecrets",
                "Effect": "Deny",
                "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameter*", "kms:Decrypt"],
                "Resource": "*",
            }
        ]
        if args.backup_bucket_arn is not None:
            denied.append(
                {
                    "Sid": "NoDumps",
                    "Effect": "Deny",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": pulumi.Output.concat(args.backup_bucket_arn, "/*"),
                }
            )
        aws.iam.RolePolicy(f"{name}-preview-denials", role=preview.name, policy=policy_document(denied), opts=child)

        self.deploy_role_arn = deploy.arn
        self.preview_role_arn = preview.arn
        self.lifecycle_role_arn = None
        if args.lifecycle_environment:
            self.lifecycle_role_arn = self._lifecycle_role(name, provider_arn, args)
        self.register_outputs(
            {
                "oidcProviderArn": self.oidc_provider_arn,
                "deployRoleArn": self.deploy_role_arn,
                "previewRoleArn": self.preview_role_arn,
                "lifecycleRoleArn": self.lifecycle_role_arn,
            }
        )

    def _lifecycle_role(self, name: str, provider_arn: pulumi.Input[str], args: CiIdentityArgs) -> pulumi.Output[str]:
        """Only what `ops storage sweep --publish-metrics`, `ops archive run` and `ops backup-prune` need: its
        metrics, in its own namespace; the archive bucket's objects; in the backup buckets, the storage indexes
        (read) and the Storage copies (delete), never a dump. No managed policy: the job reaches Supabase with
        its own secrets, never the rest of the account."""
        role = self._role(
            f"{name}-lifecycle",
            provider_arn,
            description=f"The data lifecycle job of {pulumi.get_stack()} (environment {args.lifecycle_environment})",
            subjects=[f"repo:{args.github_repository}:environment:{args.lifecycle_environment}"],
            policy_arns=(),
            max_session_seconds=7200,
        )
        statements: list[dict[str, object]] = [
            {
                "Sid": "PutLifecycleMetrics",
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",  # PutMetricData has no resource type; the namespace condition narrows it
                "Condition": {"StringEquals": {"cloudwatch:namespace": LIFECYCLE_METRICS_NAMESPACE}},
            }
        ]
        if args.archive_bucket_arn is not None:
            statements += [
                {
                    # ListBucket so a missing key answers 404 (a resumed pass asks whether its copy is there).
                    "Sid": "ListArchive",
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": args.archive_bucket_arn,
                },
                {
                    "Sid": "MoveArchivedFiles",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    "Resource": pulumi.Output.concat(args.archive_bucket_arn, "/*"),
                },
            ]
        for index, backups in enumerate(args.pruned_backup_buckets):
            statements += _prune_statements(index, backups)
        aws.iam.RolePolicy(
            f"{name}-lifecycle-policy",
            role=role.name,
            policy=policy_document(statements),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role.arn

    def _role(
        self,
        name: str,
        provider_arn: pulumi.Input[str],
        *,
        description: str,
        subjects: Sequence[str],
        policy_arns: Sequence[str],
        max_session_seconds: int,
    ) -> aws.iam.Role:
        # Exact matches on both claims (a list is any one of them): no wildcard lets another repository,
        # branch or event in.
        subject: str | list[str] = subjects[0] if len(subjects) == 1 else list(subjects)
        condition = {"StringEquals": {f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE, f"{GITHUB_OIDC_HOST}:sub": subject}}
        role = aws.iam.Role(
            name,
            description=description,
            max_session_duration=max_session_seconds,
            assume_role_policy=policy_document(
                [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": condition,
                    }
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, policy_arn in enumerate(policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-policy-{index}",
                role=role.name,
                policy_arn=policy_arn,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role


def _prune_statements(index: int, backups: PrunedBackupBucket) -> list[dict[str, object]]:
    objects = pulumi.Output.concat(backups.bucket_arn, "/", backups.stack_prefix)
    return [
        {
            "Sid": f"ListBackups{index}",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": backups.bucket_arn,
            "Condition": {"StringLike": {"s3:prefix": f"{backups.stack_prefix}*"}},
        },
        {
            # The indexes name the copies; the dumps beside them stay out of reach.
            "Sid": f"ReadStorageIndexes{index}",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": pulumi.Output.concat(objects, "*/storage-index.json"),
        },
        {
            # A delete adds a delete marker (the bucket is versioned); the copy's bytes leave by lifecycle.
            "Sid": f"PruneStorageCopies{index}",
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": pulumi.Output.concat(objects, "storage/*"),
        },
        {
            "Sid": f"DecryptIndexes{index}",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": backups.key_arn,
            "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
        },
    ]
