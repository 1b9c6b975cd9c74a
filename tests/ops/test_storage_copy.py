"""Storage objects copied incrementally from an S3-compatible source (a second moto bucket stands in for
Supabase Storage's S3 endpoint) and put back on restore."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from botocore.exceptions import ClientError

from ops.backup.run import BackupSettings, run_backup
from ops.backup.storage import S3ObjectStore
from tests.ops.helpers import ops, storage_backup, storage_restore
from tests.ops.test_backup_integrity import restore


def manifests(s3, bucket: str) -> list[dict]:
    keys = sorted(
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix="backups/prod/")["Contents"]
        if o["Key"].endswith("manifest.json")
    )
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
    edited = s3.head_object(Bucket=source, Key="u1/face.png")["ETag"].strip('"')
    copy = s3.get_object(Bucket=bucket, Key=f"backups/prod/storage/{source}/u1/face.png@{edited}")["Body"].read()
    assert copy == b"\x89PNG one, edited"

    # Lost object: restore puts it back from the newest backup, with its bytes.
    s3.delete_object(Bucket=source, Key="u2/face.png")
    code = storage_restore(s3_endpoint, bucket)
    assert code == 0, capsys.readouterr().err
    assert s3.get_object(Bucket=source, Key="u2/face.png")["Body"].read() == b"\x89PNG two" * 1000
    assert "storage: 1 objects put back (2 in the backup)" in capsys.readouterr().out


def test_restore_without_a_backup_of_the_stack_fails(s3_endpoint, bucket, source_db, capsys):
    assert restore(s3_endpoint, bucket, source_db) == 1
    assert "no complete backup of stack 'staging'" in capsys.readouterr().err


def test_an_older_backup_puts_back_the_bytes_an_object_had_then(
    s3, s3_endpoint, bucket, source_db, monkeypatch, capsys
):
    source = f"{bucket}-documents"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/contract.pdf", Body=b"%PDF version one")
    stamps = iter(["20260101T000000Z", "20260102T000000Z"])
    monkeypatch.setattr("ops.backup.run.utc_stamp", lambda now=None: next(stamps))
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    s3.put_object(Bucket=source, Key="u1/contract.pdf", Body=b"%PDF version two, same key")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0

    s3.delete_object(Bucket=source, Key="u1/contract.pdf")
    assert storage_restore(s3_endpoint, bucket, "--backup", "20260101T000000Z") == 0, capsys.readouterr()
    assert s3.get_object(Bucket=source, Key="u1/contract.pdf")["Body"].read() == b"%PDF version one", (
        "the first backup's recovery point, not the newest bytes under that key"
    )


class WriteOnly:
    """The scheduled job's role: it may list its folder and put objects, never read one (components/backup_storage.py)."""

    def __init__(self, client) -> None:
        self._client = client

    def get_object(self, **kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, "GetObject")

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def test_the_job_role_that_cannot_read_still_copies_only_what_changed(s3, s3_endpoint, bucket, source_db):
    source = f"{bucket}-attachments"
    s3.create_bucket(Bucket=source)
    for number in range(3):
        s3.put_object(Bucket=source, Key=f"t{number}/file.txt", Body=f"attachment {number}".encode())
    store = S3ObjectStore(s3, (source,))
    settings = BackupSettings(
        database_url=source_db, stack="prod", bucket=bucket, s3=WriteOnly(s3), storage_source=store
    )
    _, first = run_backup(settings)
    s3.put_object(Bucket=source, Key="t1/file.txt", Body=b"attachment 1, replaced")
    _, second = run_backup(BackupSettings(**{**settings.__dict__, "now": datetime.now(UTC) + timedelta(seconds=5)}))
    assert first.storage is not None and second.storage is not None
    assert (first.storage.copied, first.storage.skipped) == (3, 0)
    assert (second.storage.copied, second.storage.skipped) == (1, 2)


def test_the_drill_reads_every_storage_copy_back_and_fails_on_a_damaged_one(s3, s3_endpoint, bucket, source_db, capsys):
    source = f"{bucket}-avatars"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/face.png", Body=b"\x89PNG one")
    s3.put_object(Bucket=source, Key="u2/face.png", Body=b"\x89PNG two")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    drill = ("verify-backup", "--stack", "prod", "--bucket", bucket, "--endpoint-url", s3_endpoint)
    assert ops(*drill) == 0, capsys.readouterr().err
    assert "2 storage objects read back intact" in capsys.readouterr().out

    [manifest] = manifests(s3, bucket)
    index = json.loads(s3.get_object(Bucket=bucket, Key=manifest["storage"]["index_key"])["Body"].read())
    copy_one = index["objects"][f"{source}/u1/face.png"]["backup_key"]
    copy_two = index["objects"][f"{source}/u2/face.png"]["backup_key"]
    s3.put_object(Bucket=bucket, Key=copy_one, Body=b"\x89PNG 0ne")  # same size, one byte changed
    s3.delete_object(Bucket=bucket, Key=copy_two)
    assert ops(*drill) == 1
    err = capsys.readouterr().err
    assert f"storage object {source}/u1/face.png: its copy's MD5" in err and "(corrupted)" in err
    assert f"storage object {source}/u2/face.png: its copy {copy_two} cannot be read" in err
