"""The document archive: a private bucket per stack, every object in Glacier Instant Retrieval, unversioned (a
removal removes the bytes), retained by a destroy; none when the stack archives nothing."""

from __future__ import annotations

from ops.engineless.program import ProgramRun
from tests.aws.aws_program import run_aws_program
from tests.aws.helpers import one, policy


def test_the_archive_bucket_is_private_encrypted_and_cold(deployed: ProgramRun):
    bucket = one(deployed, "aws:s3/bucket:Bucket", "document-archive-bucket")
    assert bucket.options["retain_on_delete"] is True, "a destroy never takes the only copy of archived files"
    assert bucket.options["protect"] is (deployed.stack == "prod"), "protected where the backups are"
    assert deployed.outputs["archiveBucket"] == bucket.outputs["bucket"]
    block = one(deployed, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "document-archive-public-access")
    assert all(block.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"))
    encryption = one(
        deployed,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "document-archive-encryption",
    )
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    [rule] = one(
        deployed, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "document-archive-lifecycle"
    ).inputs["rules"]
    assert rule["transitions"] == [{"days": 0, "storageClass": "GLACIER_IR"}]
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}
    assert not [
        v for v in deployed.of_type("aws:s3/bucketVersioning:BucketVersioning") if v.inputs["bucket"] == bucket.id
    ], "unversioned: removing a copy removes its bytes"
    [deny] = policy(one(deployed, "aws:s3/bucketPolicy:BucketPolicy", "document-archive-policy"))["Statement"]
    assert deny["Sid"] == "DenyInsecureTransport"


def test_a_stack_that_archives_nothing_has_no_archive_bucket_and_its_role_no_archive_rights():
    run = run_aws_program("staging", {"retention": {"archiveAfterDays": None}})
    assert not [r for r in run.resources if r.name.startswith("document-archive")]
    assert "archiveBucket" not in run.outputs
    document = policy(one(run, "aws:iam/rolePolicy:RolePolicy", "ci-identity-lifecycle-policy"))
    sids = [s["Sid"] for s in document["Statement"]]
    assert sids[0] == "PutLifecycleMetrics" and not [sid for sid in sids if "Archive" in sid]
