"""Storage objects copied incrementally from an S3-compatible source (a second moto bucket stands in for
Supabase Storage's S3 endpoint) and put back on restore."""

from __future__ import annotations

import json

from tests.ops.helpers import ops
from tests.ops.test_backup_integrity import restore


def storage_backup(s3_endpoint: str, bucket: str, url: str, source_bucket: str) -> int:
    return ops("backup", "--stack", "prod", "--bucket", bucket, "--endpoint-url", s3_endpoint,
               "--database-url", url, "--storage-endpoint-url", s3_endpoint, "--storage-bucket", source_bucket)


def manifests(s3, bucket: str) -> list[dict]:
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="backups/prod/")["Contents"]
                  if o["Key"].endswith("manifest.json"))
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]


def test_storage_is_copied_incrementally_and_put_back(s3, s3_endpoint, bucket, source_db, monkeypatch, capsys):
    source = f"{bucket}-avatars"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/face.png", Body=b"\x89PNG one")
    s3.put_object(Bucket=source, Key="u2/face.png", Body=b"\x89PNG two" * 1000)

    stamps = iter(["20260101T000000Z", "20260102T000000Z", "20260103T000000Z"])
    monkeypatch.setattr("ops.backup.run.utc_stamp", lambda now=None: next(stamps))
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    s3.put_object(Bucket=source, Key="u1/face.png", Body=b"\x89PNG one, edited")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0

    first, second, third = (m["storage"] for m in manifests(s3, bucket))
    assert (first["copied"], first["skipped"]) == (2, 0)
    assert (second["copied"], second["skipped"]) == (0, 2), "unchanged objects must not be copied again"
    assert (third["copied"], third["skipped"]) == (1, 1)
    copy = s3.get_object(Bucket=bucket, Key=f"backups/prod/storage/{source}/u1/face.png")["Body"].read()
    assert copy == b"\x89PNG one, edited"

    # Lost object: restore puts it back from the newest backup, with its bytes.
    s3.delete_object(Bucket=source, Key="u2/face.png")
    code = ops("restore", "--stack", "prod", "--bucket", bucket, "--endpoint-url", s3_endpoint,
               "--storage-only", "--storage-endpoint-url", s3_endpoint)
    assert code == 0, capsys.readouterr().err
    assert s3.get_object(Bucket=source, Key="u2/face.png")["Body"].read() == b"\x89PNG two" * 1000
    assert "storage: 1 objects put back (2 in the backup)" in capsys.readouterr().out


def test_restore_without_a_backup_of_the_stack_fails(s3_endpoint, bucket, source_db, capsys):
    assert restore(s3_endpoint, bucket, source_db) == 1
    assert "no complete backup of stack 'staging'" in capsys.readouterr().err
