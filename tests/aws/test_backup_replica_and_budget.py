"""The backup bucket's second-region replica and the stack's cost budget, per stack file: the replica under its own
key in its own region, a replication rule that S3 would apply to our SSE-KMS dumps and never to deletions, Object
Lock where the source has it; a monthly budget alerting the alerts topic, which lets Budgets publish."""

from __future__ import annotations

import pytest

from stackconfig.errors import ConfigError
from tests.aws.aws_program import run_aws_program
from tests.aws.helpers import as_list, one, policy, statement

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
REPLICA_REGION = "eu-west-1"


def test_the_replica_lives_in_another_region_encrypted_under_its_own_key(deployed):
    replica = one(deployed, BUCKET, "backup-replica-bucket")
    key = one(deployed, KEY, "backup-replica-key")
    assert replica.inputs["region"] == key.inputs["region"] == REPLICA_REGION, "a KMS key serves its own region only"
    assert key.outputs["arn"] != one(deployed, KEY, "backups-key").outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    encryption = one(
        deployed,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "backup-replica-encryption",
    )
    assert encryption.inputs["region"] == REPLICA_REGION
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    block = one(deployed, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backup-replica-public-access")
    assert block.inputs["region"] == REPLICA_REGION and block.inputs["restrictPublicBuckets"] is True
    tls = statement(
        policy(one(deployed, "aws:s3/bucketPolicy:BucketPolicy", "backup-replica-policy")), "DenyInsecureTransport"
    )
    assert tls["Effect"] == "Deny"
    for resource in (replica, key):
        assert resource.options["retain_on_delete"] is True
        assert resource.options["protect"] is (deployed.stack == "prod")
    assert deployed.outputs["backupReplicaBucket"] == replica.outputs["bucket"]
    assert deployed.outputs["backupReplicaRegion"] == REPLICA_REGION


def test_every_new_dump_version_replicates_re_encrypted_and_deletions_do_not(deployed):
    source = one(deployed, BUCKET, "backups-bucket")
    replica = one(deployed, BUCKET, "backup-replica-bucket")
    config = one(deployed, REPLICATION)
    assert config.inputs["bucket"] == source.outputs["bucket"]
    [rule] = config.inputs["rules"]
    assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}
    # Without this, S3 skips every SSE-KMS object: the rule would replicate nothing at all.
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    destination = rule["destination"]
    assert destination["bucket"] == replica.outputs["arn"]
    assert (
        destination["encryptionConfiguration"]["replicaKmsKeyId"]
        == one(deployed, KEY, "backup-replica-key").outputs["arn"]
    )
    versionings = {
        one(deployed, "aws:s3/bucketVersioning:BucketVersioning", name).urn
        for name in ("backups-versioning", "backup-replica-versioning")
    }
    assert versionings <= set(config.options["depends_on"]), "S3 refuses replication before versioning"


def test_the_replication_role_reads_the_source_writes_replicas_and_cannot_delete(deployed):
    role = one(deployed, "aws:iam/role:Role", "backup-replica-replication")
    assert one(deployed, REPLICATION).inputs["role"] == role.outputs["arn"]
    assert policy(role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    document = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "backup-replica-replication-policy"))
    actions = {a for s in document["Statement"] for a in as_list(s["Action"])}
    assert "s3:ReplicateDelete" not in actions and not [a for a in actions if "Delete" in a]
    assert statement(document, "DecryptSource")["Resource"] == one(deployed, KEY, "backups-key").outputs["arn"]
    encrypt = statement(document, "EncryptReplicas")
    assert encrypt["Resource"] == one(deployed, KEY, "backup-replica-key").outputs["arn"]
    assert encrypt["Condition"] == {"StringLike": {"kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"}}


def test_prod_replica_locks_what_it_receives_as_the_source_does(prod, staging):
    assert one(prod, BUCKET, "backup-replica-bucket").inputs["objectLockEnabled"] is True
    lock = one(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "backup-replica-object-lock")
    assert lock.inputs["region"] == REPLICA_REGION
    assert lock.inputs["rule"]["defaultRetention"] == {"mode": "GOVERNANCE", "days": 30}
    assert "objectLockEnabled" not in one(staging, BUCKET, "backup-replica-bucket").inputs


def test_the_replica_expires_dumps_itself_as_the_source_does(deployed):
    def rules(name: str) -> list:
        return one(deployed, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).inputs["rules"]

    assert rules("backup-replica-lifecycle") == rules("backups-lifecycle")


def test_a_replica_in_the_stacks_own_region_is_refused():
    with pytest.raises(ConfigError, match=r"backup.replicaRegion: eu-central-1 is aws.region"):
        run_aws_program(
            "staging", {"backup": {"enabled": True, "sourceRepository": "o/r", "replicaRegion": "eu-central-1"}}
        )


def test_a_monthly_cost_budget_alerts_the_alerts_topic(deployed):
    budget = one(deployed, "aws:budgets/budget:Budget")
    assert (budget.inputs["budgetType"], budget.inputs["timeUnit"], budget.inputs["limitUnit"]) == (
        "COST",
        "MONTHLY",
        "USD",
    )
    assert budget.inputs["limitAmount"] == {"staging": "50.00", "prod": "500.00"}[deployed.stack]
    topic = deployed.outputs["alertsTopicArn"]
    alerts = {
        (n["notificationType"], float(n["threshold"]), n["thresholdType"]): n["subscriberSnsTopicArns"]
        for n in budget.inputs["notifications"]
    }
    assert alerts == {("ACTUAL", 80.0, "PERCENTAGE"): [topic], ("FORECASTED", 100.0, "PERCENTAGE"): [topic]}


def test_budgets_may_publish_to_the_alerts_topic_and_alarms_still_may(deployed):
    topic_policy = one(deployed, "aws:sns/topicPolicy:TopicPolicy")
    topic = deployed.outputs["alertsTopicArn"]
    assert topic_policy.inputs["arn"] == topic
    document = policy(topic_policy)
    budgets = statement(document, "BudgetsPublish")
    assert budgets["Principal"] == {"Service": "budgets.amazonaws.com"} and budgets["Action"] == "sns:Publish"
    assert budgets["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert statement(document, "AlarmsPublish")["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert budgets["Resource"] == topic


def test_a_budget_without_alerts_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"budget.enabled: alerts go to the alerts topic"):
        run_aws_program("staging", {"alerts": {"enabled": False}})
