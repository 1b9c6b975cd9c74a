"""The prod stack's backup replica on the local S3 (moto): the two buckets and keys as the program declares them
(versioned, SSE-KMS under a key of each bucket's own region), and the replication rule the program registers
under Pulumi's mocks, put on the source bucket through S3's own API and applied by tests/harness/s3_replication."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import boto3

from tests.aws.aws_program import run_aws_program
from tests.aws.helpers import one
from tests.harness.s3_replication import Replicator, boto_replication_configuration

SOURCE_REGION, REPLICA_REGION = "eu-central-1", "eu-west-1"
_names = itertools.count(1)


@dataclass
class ReplicatedBackups:
    source: str  # bucket names on the local S3
    replica: str
    replica_key_arn: str
    configuration: dict[str, Any]  # the PutBucketReplication body, from the program's registration
    s3: Any

    def replicator(self) -> Replicator:
        return Replicator(self.s3, self.source, self.configuration)


def declared_replication() -> tuple[list[dict[str, Any]], str, str, str]:
    """The prod program's replication rules, and the mocks' ARNs of the role, replica bucket and replica key."""
    run = run_aws_program("prod")
    config = one(run, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    replica = one(run, "aws:s3/bucket:Bucket", "backup-replica-bucket").outputs["arn"]
    key = one(run, "aws:kms/key:Key", "backup-replica-key").outputs["arn"]
    return config.inputs["rules"], config.inputs["role"], replica, key


def _bucket(endpoint: str, region: str, name: str) -> str:
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=region)
    key_arn = kms.create_key(Description=f"backups {region}")["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    return key_arn


def replicated_backups(endpoint: str, source: str | None = None) -> ReplicatedBackups:
    """Source and replica buckets with the program's replication rule on the source (created when `source` is
    None; an existing source bucket is given versioning, as the program gives it)."""
    number = next(_names)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=SOURCE_REGION)
    if source is None:
        source = f"prod-backups-{number}"
        _bucket(endpoint, SOURCE_REGION, source)
    else:
        s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    replica = f"prod-backups-replica-{number}"
    replica_key = _bucket(endpoint, REPLICA_REGION, replica)
    rules, role, mock_bucket, mock_key = declared_replication()
    configuration = boto_replication_configuration(
        rules, role, {mock_bucket: f"arn:aws:s3:::{replica}"}, {mock_key: replica_key}
    )
    # S3's API (botocore's request model, then the local S3) must accept the rule as the program declares it.
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=configuration)
    return ReplicatedBackups(source, replica, replica_key, configuration, s3)


def lose_bucket(s3: Any, bucket: str) -> None:
    """The primary region is gone: every version, marker and the bucket itself."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    s3.delete_bucket(Bucket=bucket)
