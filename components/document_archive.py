"""The cold tier for documents nobody opened for `retention.archiveAfterDays`: one S3 bucket in the stack's account,
written by the archival job (`ops archive run`) with the GLACIER_IR storage class on every object.

Glacier Instant Retrieval, not Standard-IA or Glacier Flexible Retrieval: it answers a GET in milliseconds like
Standard (so a restore is one copy, not a thaw of hours), at about a sixth of Standard's price per GB-month, with a
retrieval fee per GB and 90 days billed per object. docs/data.md ("Archival") has the figures and the break-even.
No versioning: removing a deleted document's or an erased account's copy must remove the bytes, not hide them
behind a delete marker."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_policy import deny_insecure_transport, policy_document
from components.private_bucket import lock_down_bucket

STORAGE_CLASS = "GLACIER_IR"  # what ops/lifecycle/archive.py writes


@dataclass(frozen=True, kw_only=True)
class DocumentArchiveArgs:
    # Refuse to delete the bucket (it holds the only copy of archived files); the stack's backup.protect.
    protect: bool = False


class DocumentArchive(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]

    def __init__(self, name: str, args: DocumentArchiveArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:document_archive:DocumentArchive", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Retained when the stack is destroyed: its objects are the only copy of the archived files.
        bucket = aws.s3.Bucket(
            f"{name}-bucket", opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=True)
        )
        public_access = lock_down_bucket(name, bucket, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="clean-up",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    # A pass killed mid-upload leaves parts that are billed but invisible.
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=1
                    ),
                    # The job writes GLACIER_IR itself; anything written otherwise goes cold that night. (A bucket
                    # policy cannot insist on the class: a multipart upload's parts do not carry it.)
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(days=0, storage_class=STORAGE_CLASS)
                    ],
                )
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=policy_document([deny_insecure_transport(bucket.arn)]),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn})
