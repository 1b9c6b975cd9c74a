"""Pruning the backups' Storage copies (moto): an erased account's copies go once no kept backup names them, and
not before; a copy a running backup just made is left; without any index nothing is deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ops.backup import BackupError
from ops.backup.layout import storage_object_key
from ops.backup.prune import prune_storage_copies
from ops.cli import main

STACK = "staging"
ERASED = "0b7c8a46-3f0e-4a57-9d0b-6f1f0c4d2e11"
KEPT = "5d7e1c2a-8b9f-4e3d-a1c2-b3d4e5f6a7b8"
LATER = datetime.now(UTC) + timedelta(days=3)


def _copy(s3, bucket: str, user: str, name: str) -> str:
    key = storage_object_key(STACK, "documents", f"{user}/{name}", "etag1")
    s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 10)
    return key


def _index(s3, bucket: str, stamp: str, copies: list[str]) -> str:
    key = f"backups/{STACK}/{stamp}/storage-index.json"
    objects = {c: {"bucket": "documents", "key": c, "etag": "etag1", "size": 10, "backup_key": c} for c in copies}
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps({"objects": objects}).encode())
    return key


def _keys(s3, bucket: str) -> set[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"backups/{STACK}/storage/").get("Contents", [])
    return {item["Key"] for item in listed}


def test_an_erased_accounts_copies_go_once_the_last_backup_naming_them_has_expired(s3, bucket: str):
    erased, kept = _copy(s3, bucket, ERASED, "passport.pdf"), _copy(s3, bucket, KEPT, "will.pdf")
    before_erasure = _index(s3, bucket, "20261101T020000Z", [erased, kept])
    _index(s3, bucket, "20261201T020000Z", [kept])  # after the erasure: the account's files are gone

    named = prune_storage_copies(s3, bucket, STACK, now=LATER)
    assert named.pruned == [] and _keys(s3, bucket) == {erased, kept}, "an older backup still restores them"

    s3.delete_object(Bucket=bucket, Key=before_erasure)  # that backup expires (backup.retentionDays)
    report = prune_storage_copies(s3, bucket, STACK, now=LATER)

    assert report.pruned == [erased] and report.pruned_bytes == 10
    assert _keys(s3, bucket) == {kept}


def test_a_fresh_unnamed_copy_is_left_for_the_backup_still_writing_its_index(s3, bucket: str):
    fresh = _copy(s3, bucket, KEPT, "new.pdf")
    _index(s3, bucket, "20261201T020000Z", [])
    report = prune_storage_copies(s3, bucket, STACK)
    assert report.pruned == [] and report.too_new == 1 and _keys(s3, bucket) == {fresh}


def test_copies_without_any_index_are_never_pruned(s3, bucket: str):
    copy = _copy(s3, bucket, KEPT, "will.pdf")
    with pytest.raises(BackupError, match="no backup index"):
        prune_storage_copies(s3, bucket, STACK, now=LATER)
    assert _keys(s3, bucket) == {copy}


def test_the_command_dry_run_lists_and_keeps(s3, s3_endpoint: str, bucket: str, capsys: pytest.CaptureFixture[str]):
    erased = _copy(s3, bucket, ERASED, "passport.pdf")
    _index(s3, bucket, "20261201T020000Z", [])
    args = ["backup-prune", "--bucket", bucket, "--stack", STACK, "--endpoint-url", s3_endpoint, "--grace-days", "1"]
    # moto dates the copy now: with a one-day grace it is still too new, so the dry run names nothing to prune.
    assert main([*args, "--dry-run"]) == 0
    assert "would prune 0 (0 bytes); 1 unnamed but within the grace" in capsys.readouterr().out
    assert _keys(s3, bucket) == {erased}
    assert main([*args[:-1], "0"]) == 2, "a grace under a day could prune a running backup's copies"
