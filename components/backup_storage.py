"""Where database dumps live: a versioned bucket encrypted under its own KMS key, closed to the public and to
plain HTTP, expiring dumps after the retention period, and a write-only role for the backup job.

Both the bucket and its key are retained when the stack is destroyed (a destroy must never take the backups
with it); `protect` additionally makes Pulumi refuse to delete them at all."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import deny_insecure_transport, policy_document, service_trust_policy
from components.private_bucket import lock_down_bucket

# Everything that could destroy or rewrite a stored dump, or loosen the rules that protect it. Explicitly
# denied to the writer in the bucket policy, so no identity policy attached to it later can grant them.
WRITER_DENIED_ACTIONS = [
    "s3:Delete*",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutEncryptionConfiguration",
    "s3:PutReplicationConfiguration",
    "s3:PutObjectAcl",
    "s3:PutObjectVersionAcl",
    "s3:RestoreObject",
]
# What the writer may do: put new objects (single or multipart) under its prefix. Nothing else, not even read.
WRITER_ALLOWED_ACTIONS = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
# The layout `python -m ops backup` writes (ops/backup/layout.py): backups/<stack>/<UTC stamp>/ holds one
# run's dump and manifest, backups/<stack>/storage/ the Storage copies every run shares.
BACKUP_ROOT = "backups"


def stack_prefix(stack: str) -> str:
    """Everything one stack's backup job writes."""
    return f"{BACKUP_ROOT}/{stack}/"


def runs_prefix(stack: str) -> str:
    """The per-run folders only (their UTC stamps start with the year's first digit): shared Storage copies
    stay as long as a newer run may list them, and expire only once replaced (as noncurrent versions)."""
    return f"{stack_prefix(stack)}2"


def storage_copies_prefix(stack: str) -> str:
    """The Storage copies every run shares (ops/backup/layout.py storage_prefix)."""
    return f"{stack_prefix(stack)}storage/"


@dataclass(frozen=True, kw_only=True)
class BackupStorageArgs:
    retention_days: int = 30
    noncurrent_transition_days: int = 7
    noncurrent_storage_class: str = "GLACIER_IR"
    noncurrent_expiration_days: int = 90
    object_lock: bool = False
    protect: bool = False
    # The stack whose job writes here; its folder is backups/<stack>/.
    stack: str
    # The service that assumes the writer role (the backup job runs on CodeBuild).
    writer_service: str = "codebuild.amazonaws.com"


def dump_lifecycle_rules(args: BackupStorageArgs) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
    """How long dumps and their older versions are kept; the replica (components/backup_replica.py) applies the
    same rules itself, since S3 does not replicate lifecycle expirations."""
    return [
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-dumps",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=runs_prefix(args.stack)),
            # Guide 000 section 8.5 keeps 30 days of dumps; expiry turns a dump into a noncurrent version.
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.retention_days),
            noncurrent_version_transitions=[
                aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionTransitionArgs(
                    noncurrent_days=args.noncurrent_transition_days,
                    storage_class=args.noncurrent_storage_class,
                )
            ],
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_expiration_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="expire-pruned-storage-copies",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=storage_copies_prefix(args.stack)),
            # A copy is never overwritten, so its only old version is the one `ops backup-prune` leaves when no kept
            # backup names it any more (a deleted file, an erased account): gone as long after as an old dump.
            noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=args.noncurrent_expiration_days
            ),
        ),
        aws.s3.BucketLifecycleConfigurationRuleArgs(
            id="clean-up",
            status="Enabled",
            filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
            # A job killed mid-upload leaves parts that are billed but invisible.
            abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=1
            ),
            expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
        ),
    ]


class BackupStorage(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_id: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    versioning: aws.s3.BucketVersioning
    writer_role_arn: pulumi.Output[str]
    writer_role_name: pulumi.Output[str]
    prefix: str

    def __init__(self, name: str, args: BackupStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:backup_storage:BackupStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.prefix = stack_prefix(args.stack)

        # Its own key: who can read a dump is then decided by the key policy and grants, not by S3 alone.
        key = aws.kms.Key(
            f"{name}-key",
            description=f"Database backups of {pulumi.get_project()} ({pulumi.get_stack()})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=kept,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=f"alias/{pulumi.get_project()}-{pulumi.get_stack()}-backups",
            target_key_id=key.key_id,
            opts=child,
        )

        # Object Lock can only be switched on when the bucket is created.
        bucket = aws.s3.Bucket(f"{name}-bucket", object_lock_enabled=args.object_lock or None, opts=kept)
        public_access = lock_down_bucket(name, bucket, child, kms_key_arn=key.arn)
        # Why versioning, and not a conditional-write rule, is what stops an overwrite: S3 can refuse a PUT
        # without `If-None-Match: *` (the s3:if-none-match condition key), but a dump is streamed as a multipart
        # upload whose CreateMultipartUpload and UploadPart calls cannot carry that header, so such a rule
        # would refuse every backup. With versioning, writing to an existing key adds a new version and the
        # previous dump stays as a noncurrent version: the writer cannot delete versions (denied below), nor
        # change versioning or lifecycle, and lifecycle keeps noncurrent versions noncurrentExpirationDays.
        # Object Lock (the option) adds governance-mode retention on top.
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        if args.object_lock:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode="GOVERNANCE", days=args.retention_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=dump_lifecycle_rules(args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )

        writer = aws.iam.Role(
            f"{name}-writer",
            description="Writes database dumps; cannot read, delete or overwrite them",
            assume_role_policy=service_trust_policy(args.writer_service, account_id),
            opts=child,
        )
        dumps = pulumi.Output.concat(bucket.arn, "/", self.prefix, "*")
        aws.iam.RolePolicy(
            f"{name}-writer-policy",
            role=writer.name,
            policy=policy_document(
                [
                    {"Sid": "PutDumps", "Effect": "Allow", "Action": WRITER_ALLOWED_ACTIONS, "Resource": dumps},
                    {
                        # Key names and ETags only (no content): how a run finds the Storage copies it can skip.
                        "Sid": "ListOwnFolder",
                        "Effect": "Allow",
                        "Action": "s3:ListBucket",
                        "Resource": bucket.arn,
                        "Condition": {"StringLike": {"s3:prefix": f"{self.prefix}*"}},
                    },
                    {
                        # S3 asks KMS for a data key per object; Decrypt is needed to complete a multipart upload.
                        "Sid": "EncryptDumps",
                        "Effect": "Allow",
                        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                        "Resource": key.arn,
                        "Condition": {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
                    },
                ]
            ),
            opts=child,
        )

        is_writer = {"ArnEquals": {"aws:PrincipalArn": writer.arn}}
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy_document(
                [
                    deny_insecure_transport(bucket.arn),
                    {
                        "Sid": "DenyWriterDestructiveActions",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": WRITER_DENIED_ACTIONS,
                        "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                        "Condition": is_writer,
                    },
                    {
                        "Sid": "DenyWriterOutsidePrefix",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:PutObject",
                        "NotResource": dumps,
                        "Condition": is_writer,
                    },
                    {
                        "Sid": "DenyWriterReads",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                        "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                        "Condition": is_writer,
                    },
                ]
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        self.bucket_name = bucket.bucket
        self.bucket_id = bucket.id
        self.bucket_arn = bucket.arn
        # Replication needs versioning on the source first.
        self.versioning = versioning
        self.key_arn = key.arn
        self.writer_role_arn = writer.arn
        self.writer_role_name = writer.name
        self.register_outputs(
            {
                "bucketName": self.bucket_name,
                "keyArn": self.key_arn,
                "writerRoleArn": self.writer_role_arn,
            }
        )
