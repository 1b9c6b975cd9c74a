"""A copy of the backup bucket in a second region, for the day the primary region is gone.

S3 replication copies every new object version of the backup bucket (dumps, manifests, Storage copies) into a
bucket in `replica_region`, re-encrypted there under the replica's own KMS key: a key is regional, and a
replica that needed the primary region's key to be read would be no replica. The replica has what the source
has: versioning, the same lifecycle (S3 does not replicate expirations, so it applies them itself), TLS only,
no public access, Object Lock in governance mode when the source has it, and retention on destroy.

Deletions are not replicated (delete-marker replication off): whoever can delete in the primary bucket
cannot reach the copies. The restore commands read the replica like the primary bucket:
`ops restore --bucket <backupReplicaBucket> --region <backupReplicaRegion> ...` (docs/runbooks.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import deny_insecure_transport, policy_document, service_trust_policy
from components.backup_storage import BackupStorageArgs, dump_lifecycle_rules
from components.private_bucket import lock_down_bucket

__all__ = ["REPLICATION_RULE", "BackupReplica", "BackupReplicaArgs"]

REPLICATION_RULE = "replicate-backups"


@dataclass(frozen=True, kw_only=True)
class BackupReplicaArgs:
    # The primary backup bucket (components/backup_storage.py) and where it lives.
    source_bucket_id: pulumi.Input[str]
    source_bucket_arn: pulumi.Input[str]
    source_key_arn: pulumi.Input[str]
    source_region: str
    # Replication needs versioning on the source before the rule is accepted.
    source_versioning: pulumi.Resource
    replica_region: str
    # Retention and Object Lock as the source's (the same BackupStorageArgs the primary was built from).
    storage: BackupStorageArgs


class BackupReplica(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    region: str

    def __init__(self, name: str, args: BackupReplicaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:backup_storage:BackupReplica", name, None, opts)
        if args.replica_region == args.source_region:
            raise ValueError(f"backup.replicaRegion: {args.replica_region} is the primary region; choose another")
        region = args.replica_region
        storage = args.storage
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=storage.protect, retain_on_delete=True)
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id

        key = aws.kms.Key(
            f"{name}-key",
            region=region,
            description=f"Replicated database backups of {pulumi.get_project()} ({pulumi.get_stack()})",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=kept,
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            region=region,
            name=f"alias/{pulumi.get_project()}-{pulumi.get_stack()}-backups-replica",
            target_key_id=key.key_id,
            opts=child,
        )
        bucket = aws.s3.Bucket(
            f"{name}-bucket", region=region, object_lock_enabled=storage.object_lock or None, opts=kept
        )
        public_access = lock_down_bucket(name, bucket, child, kms_key_arn=key.arn, region=region)
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            region=region,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=child,
        )
        if storage.object_lock:
            # Replicated versions keep the retention the source gave them; this covers anything written here.
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                region=region,
                bucket=bucket.id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode="GOVERNANCE", days=storage.retention_days
                    )
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            region=region,
            bucket=bucket.id,
            rules=dump_lifecycle_rules(storage),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            region=region,
            bucket=bucket.id,
            policy=policy_document([deny_insecure_transport(bucket.arn)]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        # The role S3 replicates as: read versions of the source, write replicas, each key only through S3.
        role = aws.iam.Role(
            f"{name}-replication",
            description="S3 replication of the backup bucket into its second-region replica",
            assume_role_policy=service_trust_policy("s3.amazonaws.com", account_id),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-replication-policy",
            role=role.name,
            policy=policy_document(
                [
                    {
                        "Sid": "ReadSourceConfiguration",
                        "Effect": "Allow",
                        "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                        "Resource": args.source_bucket_arn,
                    },
                    {
                        "Sid": "ReadSourceVersions",
                        "Effect": "Allow",
                        "Action": [
                            "s3:GetObjectVersionForReplication",
                            "s3:GetObjectVersionAcl",
                            "s3:GetObjectVersionTagging",
                            "s3:GetObjectRetention",
                            "s3:GetObjectLegalHold",
                        ],
                        "Resource": pulumi.Output.concat(args.source_bucket_arn, "/*"),
                    },
                    {
                        # No ReplicateDelete: deletions in the primary never reach the replica.
                        "Sid": "WriteReplicas",
                        "Effect": "Allow",
                        "Action": ["s3:ReplicateObject", "s3:ReplicateTags", "s3:ObjectOwnerOverrideToBucketOwner"],
                        "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                    },
                    {
                        "Sid": "DecryptSource",
                        "Effect": "Allow",
                        "Action": "kms:Decrypt",
                        "Resource": args.source_key_arn,
                        "Condition": {"StringLike": {"kms:ViaService": f"s3.{args.source_region}.amazonaws.com"}},
                    },
                    {
                        "Sid": "EncryptReplicas",
                        "Effect": "Allow",
                        "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                        "Resource": key.arn,
                        "Condition": {"StringLike": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                    },
                ]
            ),
            opts=child,
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication-config",
            bucket=args.source_bucket_id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id=REPLICATION_RULE,
                    status="Enabled",
                    priority=1,
                    # Everything the backup job writes: dumps, manifests, Storage copies and their index.
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Disabled"
                    ),
                    # Every object in the source is SSE-KMS: without this, S3 would skip them all.
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=bucket.arn,
                        storage_class="STANDARD",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=key.arn
                        ),
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[args.source_versioning, versioning]),
        )

        self.region = region
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.key_arn = key.arn
        self.register_outputs({"bucketName": self.bucket_name, "keyArn": self.key_arn, "region": region})
