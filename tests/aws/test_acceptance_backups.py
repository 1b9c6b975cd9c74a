"""Acceptance: a backup to a real S3 bucket, then the drill that restores and verifies it.

Runs when AWS_ACCEPTANCE_BACKUP_BUCKET names a scratch bucket the current AWS credentials may write, read and
delete in (not the stack's backup bucket: its Object Lock and write-only role refuse the clean-up); skipped
otherwise. Everything it writes is under backups/acceptance-<random>/ and is deleted afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import boto3
import pytest

from ops.localdb import LocalDatabase
from tests.ops.conftest import load_sample, new_database
from tests.ops.helpers import ops

BUCKET = os.environ.get("AWS_ACCEPTANCE_BACKUP_BUCKET")
pytestmark = pytest.mark.skipif(not BUCKET, reason="AWS_ACCEPTANCE_BACKUP_BUCKET is not set (real AWS account)")


@pytest.fixture
def stack() -> Iterator[str]:
    name = f"acceptance-{uuid.uuid4().hex[:12]}"
    yield name
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"backups/{name}/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def test_backup_to_real_s3_then_the_drill_verifies_it(pg_cluster: LocalDatabase, stack: str):
    source = new_database(pg_cluster)
    load_sample(pg_cluster, source)
    assert ops("backup", "--stack", stack, "--bucket", BUCKET, "--database-url", source) == 0
    assert ops("verify-backup", "--stack", stack, "--bucket", BUCKET, "--max-age-hours", "1") == 0
