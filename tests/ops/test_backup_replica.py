"""The prod stack's backup replication against a local S3 (moto): the replication rule the program declares is a
valid PutBucketReplication request that S3 accepts, it copies every backup object re-encrypted under the
replica's key, deletions in the primary never reach the replica, and the restore commands read the replica
when the primary bucket is gone."""

from __future__ import annotations

import boto3

from tests.ops.conftest import new_database
from tests.ops.helpers import ops, table_checksums
from tests.ops.replica import REPLICA_REGION, SOURCE_REGION, lose_bucket, replicated_backups


def backup(endpoint: str, bucket: str, url: str) -> int:
    return ops(
        "backup",
        "--stack",
        "prod",
        "--bucket",
        bucket,
        "--endpoint-url",
        endpoint,
        "--region",
        SOURCE_REGION,
        "--database-url",
        url,
    )


def current_keys(s3, bucket: str) -> set[str]:
    return {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }


def test_every_backup_object_replicates_under_the_replicas_own_key(s3_endpoint, source_db):
    backups = replicated_backups(s3_endpoint)
    assert backup(s3_endpoint, backups.source, source_db) == 0
    replicator = backups.replicator()
    assert replicator.run() == len(current_keys(backups.s3, backups.source)) > 0
    assert replicator.skipped_kms == [], "the dumps are SSE-KMS: the rule must select them"
    replica = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REPLICA_REGION)
    assert current_keys(replica, backups.replica) == current_keys(backups.s3, backups.source)
    for key in current_keys(replica, backups.replica):
        head = replica.head_object(Bucket=backups.replica, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == backups.replica_key_arn, f"{key} must be readable without the primary's key"
    assert replicator.run() == 0, "each version replicates once"


def test_without_selecting_sse_kms_objects_the_rule_would_replicate_nothing(s3_endpoint, source_db):
    backups = replicated_backups(s3_endpoint)
    for rule in backups.configuration["Rules"]:
        rule.pop("SourceSelectionCriteria")
    assert backup(s3_endpoint, backups.source, source_db) == 0
    replicator = backups.replicator()
    assert replicator.run() == 0 and replicator.skipped_kms, "why the program sets sseKmsEncryptedObjects"


def test_deleting_in_the_primary_never_reaches_the_replica(s3_endpoint, source_db):
    backups = replicated_backups(s3_endpoint)
    assert backup(s3_endpoint, backups.source, source_db) == 0
    backups.replicator().run()
    before = current_keys(backups.s3, backups.replica)
    for key in current_keys(backups.s3, backups.source):
        backups.s3.delete_object(Bucket=backups.source, Key=key)  # delete markers, as an attacker would leave
    replicator = backups.replicator()
    replicator.run()
    assert current_keys(backups.s3, backups.source) == set()
    assert current_keys(backups.s3, backups.replica) == before


def test_restore_and_verify_read_the_replica_when_the_primary_is_gone(s3_endpoint, source_db, empty_db, pg_cluster):
    backups = replicated_backups(s3_endpoint)
    assert backup(s3_endpoint, backups.source, source_db) == 0
    backups.replicator().run()
    lose_bucket(backups.s3, backups.source)
    replica = (
        "--stack",
        "prod",
        "--bucket",
        backups.replica,
        "--region",
        REPLICA_REGION,
        "--endpoint-url",
        s3_endpoint,
    )
    assert ops("restore", *replica, "--target-url", empty_db) == 0
    assert table_checksums(empty_db) == table_checksums(source_db)
    assert ops("verify-backup", *replica, "--scratch-url", new_database(pg_cluster)) == 0, "the replica verifies"
