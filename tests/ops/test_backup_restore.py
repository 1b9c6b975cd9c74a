"""Backup then restore, against moto's S3 server and the embedded PostgreSQL."""

from __future__ import annotations

import json

from ops.backup.layout import list_complete_backups
from tests.ops.helpers import ops, scalar, table_checksums


def backup(s3_endpoint: str, bucket: str, url: str, stack: str = "staging") -> int:
    return ops("backup", "--stack", stack, "--bucket", bucket, "--endpoint-url", s3_endpoint, "--database-url", url)


def test_backup_then_restore_gives_identical_data(s3, s3_endpoint, bucket, source_db, empty_db):
    assert backup(s3_endpoint, bucket, source_db) == 0
    code = ops(
        "restore", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint, "--target-url", empty_db
    )
    assert code == 0
    before, after = table_checksums(source_db), table_checksums(empty_db)
    assert before["public.conversations"][0] == 500
    assert after == before, "every table's rows must come back identical"
    # Policies and grants come back too: RLS is part of what a restore must reproduce.
    assert (
        scalar(empty_db, "select count(*) from pg_policies where policyname in ('conversations_owner', 'own_files')")
        == 2
    )


def test_manifest_describes_the_dump_and_is_written_last(s3, s3_endpoint, bucket, source_db):
    assert backup(s3_endpoint, bucket, source_db) == 0
    [stamp] = list_complete_backups(s3, bucket, "staging")
    prefix = f"backups/staging/{stamp}/"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "manifest.json")["Body"].read())
    dump = s3.head_object(Bucket=bucket, Key=prefix + "database.dump")
    assert manifest["size_bytes"] == dump["ContentLength"]
    assert manifest["newest_migration"] == "20251101000200"
    assert manifest["row_counts"]["public.messages"] == 1000
    assert manifest["row_counts"]["auth.users"] == 5
    assert manifest["server_version"].startswith("18")
    assert "pg_dump" in manifest["pg_dump_version"]
    assert "extensions" in manifest["excluded_schemas"]
