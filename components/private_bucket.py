"""What every bucket of ours gets: objects owned by the bucket owner, all public access blocked, encryption."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def lock_down_bucket(
    name: str,
    bucket: aws.s3.Bucket,
    opts: pulumi.ResourceOptions,
    *,
    kms_key_arn: pulumi.Input[str] | None = None,
    region: str | None = None,
) -> aws.s3.BucketPublicAccessBlock:
    """Adds the ownership, public-access and encryption settings to `bucket`; returns the public-access block,
    which a bucket policy must wait for (S3 refuses some policies until the block is in place). Encryption is
    SSE-KMS under `kms_key_arn` when given, SSE-S3 otherwise. `region`: the bucket's, when it is not the
    provider's (the backup replica)."""
    encryption = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
        sse_algorithm="aws:kms" if kms_key_arn is not None else "AES256",
        kms_master_key_id=kms_key_arn,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        region=region,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=opts,
    )
    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        region=region,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        region=region,
        # One data key per bucket and period instead of one KMS call per object (or per multipart part).
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=encryption,
                bucket_key_enabled=True,
            )
        ],
        opts=opts,
    )
    return public_access
