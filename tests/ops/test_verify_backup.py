"""`ops verify-backup`, the scheduled drill: restore into scratch, compare with the manifest."""

from __future__ import annotations

import json

from tests.ops.helpers import ops
from tests.ops.test_backup_integrity import only_backup
from tests.ops.test_backup_restore import backup


def verify(s3_endpoint: str, bucket: str, *extra: str) -> int:
    return ops("verify-backup", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint, *extra)


def test_drill_passes_on_a_good_backup_in_a_throwaway_embedded_database(s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    assert verify(s3_endpoint, bucket, "--max-age-hours", "1") == 0
    assert "verified" in capsys.readouterr().out


def test_drill_fails_when_the_restore_differs_from_the_manifest(s3, s3_endpoint, bucket, source_db, empty_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    key = only_backup(s3, bucket) + "manifest.json"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    manifest["row_counts"]["public.messages"] += 1
    manifest["newest_migration"] = "20991231000000"
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())

    assert verify(s3_endpoint, bucket, "--scratch-url", empty_db) == 1
    err = capsys.readouterr().err
    assert "public.messages has 1000 rows, the backup has 1001" in err
    assert "20991231000000" in err


def test_drill_fails_when_the_newest_backup_is_too_old(s3, s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    prefix = only_backup(s3, bucket)
    for name in ("database.dump", "manifest.json"):
        s3.copy_object(
            Bucket=bucket,
            Key=f"backups/staging/20200101T000000Z/{name}",
            CopySource={"Bucket": bucket, "Key": prefix + name},
        )
    assert verify(s3_endpoint, bucket, "--backup", "20200101T000000Z", "--max-age-hours", "26") == 1
    assert "hours old" in capsys.readouterr().err


def test_drill_fails_without_any_backup(s3_endpoint, bucket, capsys):
    assert verify(s3_endpoint, bucket) == 1
    assert "no complete backup" in capsys.readouterr().err
