"""Backup storage and the scheduled job, per stack file: versioned, KMS-encrypted, private, TLS-only, lifecycle
and retention from config, Object Lock in prod, never destroyed, and a writer that cannot delete or read."""

from __future__ import annotations

import pytest
import yaml

from tests.aws.helpers import as_list, one, policy, statement

BUCKET = "aws:s3/bucket:Bucket"
RETENTION = {"staging": 14, "prod": 30}


def test_backup_bucket_is_versioned_and_encrypted_under_its_own_rotating_key(deployed):
    versioning = one(deployed, "aws:s3/bucketVersioning:BucketVersioning", "backups-versioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    key = one(deployed, "aws:kms/key:Key", "backups-key")
    assert key.inputs["enableKeyRotation"] is True
    encryption = one(
        deployed,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "backups-encryption",
    )
    default = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}


def test_backup_bucket_is_private_and_refuses_plain_http(deployed):
    block = one(deployed, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "backups-public-access")
    assert all(
        block.inputs[f] is True
        for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    document = policy(one(deployed, "aws:s3/bucketPolicy:BucketPolicy", "backups-policy"))
    tls = statement(document, "DenyInsecureTransport")
    bucket = one(deployed, BUCKET, "backups-bucket").outputs["arn"]
    assert tls["Effect"] == "Deny" and tls["Action"] == "s3:*"
    assert set(tls["Resource"]) == {bucket, f"{bucket}/*"}
    assert not [s for s in document["Statement"] if s["Effect"] == "Allow"], "the bucket policy grants nothing"


def test_lifecycle_keeps_dumps_for_the_stacks_retention_then_cools_and_expires_old_versions(deployed):
    lifecycle = one(deployed, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "backups-lifecycle")
    rules = {r["id"]: r for r in lifecycle.inputs["rules"]}
    dumps = rules["expire-dumps"]
    assert dumps["status"] == "Enabled"
    assert dumps["filter"]["prefix"] == f"backups/{deployed.stack}/2", "per-run folders only, not shared copies"
    assert int(dumps["expiration"]["days"]) == RETENTION[deployed.stack]
    (transition,) = dumps["noncurrentVersionTransitions"]
    assert transition["storageClass"] == "GLACIER_IR" and int(transition["noncurrentDays"]) == 7
    expected_noncurrent = {"staging": 30, "prod": 90}[deployed.stack]
    assert int(dumps["noncurrentVersionExpiration"]["noncurrentDays"]) == expected_noncurrent
    pruned = rules["expire-pruned-storage-copies"]
    assert pruned["filter"]["prefix"] == f"backups/{deployed.stack}/storage/"
    assert int(pruned["noncurrentVersionExpiration"]["noncurrentDays"]) == expected_noncurrent
    assert "expiration" not in pruned or not pruned["expiration"], "a copy a kept backup names is never expired"
    cleanup = rules["clean-up"]
    assert int(cleanup["abortIncompleteMultipartUpload"]["daysAfterInitiation"]) == 1
    assert cleanup["filter"]["prefix"] == ""


def test_bucket_and_key_are_retained_on_destroy_and_protected_in_prod(deployed):
    for token, name in ((BUCKET, "backups-bucket"), ("aws:kms/key:Key", "backups-key")):
        resource = one(deployed, token, name)
        assert resource.options["retain_on_delete"] is True, f"{deployed.stack}: {name} would go with the stack"
        assert resource.options["protect"] is (deployed.stack == "prod"), f"{deployed.stack}: {name} protect"


def test_prod_locks_dumps_in_governance_mode_for_the_retention_period(prod, staging):
    bucket = one(prod, BUCKET, "backups-bucket")
    assert bucket.inputs["objectLockEnabled"] is True
    lock = one(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "backups-object-lock")
    assert lock.inputs["rule"]["defaultRetention"]["mode"] == "GOVERNANCE"
    assert int(lock.inputs["rule"]["defaultRetention"]["days"]) == RETENTION["prod"]
    assert not [r for r in staging.resources if r.type.endswith("BucketObjectLockConfiguration")]


def test_writer_may_only_put_objects_under_its_prefix(deployed):
    bucket = one(deployed, BUCKET, "backups-bucket").outputs["arn"]
    document = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "backups-writer-policy"))
    actions = {a for s in document["Statement"] if s["Effect"] == "Allow" for a in as_list(s["Action"])}
    assert not [a for a in actions if a.startswith(("s3:Delete", "s3:Get")) or a == "s3:*"], actions
    assert not [a for a in actions if "Lifecycle" in a or "Versioning" in a or "Policy" in a or "Bypass" in a]
    put = statement(document, "PutDumps")
    assert put["Resource"] == f"{bucket}/backups/{deployed.stack}/*"
    listing = statement(document, "ListOwnFolder")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": f"backups/{deployed.stack}/*"}}


def test_bucket_policy_denies_the_writer_every_delete_and_rule_change(deployed):
    writer = one(deployed, "aws:iam/role:Role", "backups-writer").outputs["arn"]
    document = policy(one(deployed, "aws:s3/bucketPolicy:BucketPolicy", "backups-policy"))
    deny = statement(document, "DenyWriterDestructiveActions")
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"ArnEquals": {"aws:PrincipalArn": writer}}
    for action in (
        "s3:Delete*",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:BypassGovernanceRetention",
        "s3:PutBucketPolicy",
    ):
        assert action in deny["Action"], f"the writer is not denied {action}"
    outside = statement(document, "DenyWriterOutsidePrefix")
    assert outside["NotResource"].endswith(f"/backups/{deployed.stack}/*")
    reads = statement(document, "DenyWriterReads")
    assert "s3:GetObject" in reads["Action"]


def test_job_runs_the_operator_backup_command_on_the_stacks_schedule(deployed):
    project = one(deployed, "aws:codebuild/project:Project")
    spec = yaml.safe_load(project.inputs["source"]["buildspec"])
    commands = spec["phases"]["build"]["commands"]
    assert any(c.startswith("python -m ops backup") for c in commands)
    install = " ".join(spec["phases"]["install"]["commands"])
    assert "postgresql-client-17" in install and "pip install --quiet -r requirements.txt" in install
    secret = one(deployed, "aws:secretsmanager/secret:Secret", "backup-job-database-url")
    assert spec["env"]["secrets-manager"]["DATABASE_URL"] == secret.outputs["name"]
    variables = {v["name"]: v["value"] for v in project.inputs["environment"]["environmentVariables"]}
    assert {k: v for k, v in variables.items() if k.startswith("BACKUP_")} == {
        "BACKUP_BUCKET": deployed.outputs["backupBucket"],
        "BACKUP_STACK": deployed.stack,
    }
    assert project.inputs["serviceRole"] == one(deployed, "aws:iam/role:Role", "backups-writer").outputs["arn"]
    assert project.inputs["source"]["location"] == "https://github.com/example-org/ai-platform.git"

    schedule = one(deployed, "aws:scheduler/schedule:Schedule", "backup-job-schedule")
    assert schedule.inputs["scheduleExpression"] == "cron(0 2 * * ? *)", "daily by default"
    assert schedule.inputs["target"]["arn"] == "arn:aws:scheduler:::aws-sdk:codebuild:startBuild"
    assert f'"ProjectName": "{project.outputs["name"]}"' in schedule.inputs["target"]["input"]
    scheduler_policy = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "backup-job-scheduler-policy"))
    assert statement(scheduler_policy, "StartBackup")["Resource"] == project.outputs["arn"]


def test_database_url_is_a_secret_and_never_in_the_project(deployed):
    version = one(deployed, "aws:secretsmanager/secretVersion:SecretVersion", "backup-job-database-url-value")
    assert "secretString" in version.secret_inputs
    project = one(deployed, "aws:codebuild/project:Project")
    assert "postgresql://" not in str(project.inputs)
    for name, value in deployed.outputs.items():
        assert "postgresql://" not in str(value), name


def test_job_logs_to_cloudwatch_with_retention(deployed):
    project = one(deployed, "aws:codebuild/project:Project")
    group = one(deployed, "aws:cloudwatch/logGroup:LogGroup", "backup-job-logs")
    assert int(group.inputs["retentionInDays"]) == 90
    assert project.inputs["logsConfig"]["cloudwatchLogs"] == {"status": "ENABLED", "groupName": group.outputs["name"]}
    run_policy = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "backup-job-run-policy"))
    assert statement(run_policy, "WriteLogs")["Resource"] == f"{group.outputs['arn']}:*"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_backup_bucket_is_an_output(stack, request):
    run = request.getfixturevalue(stack)
    assert run.outputs["backupBucket"] == one(run, BUCKET, "backups-bucket").outputs["bucket"]
