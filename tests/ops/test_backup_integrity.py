"""A backup is trusted only when whole: bad dumps are refused before restoring, failed runs leave no manifest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops.backup.layout import list_complete_backups
from ops.localdb import postgres_bin_dir
from tests.ops.helpers import execute, ops, scalar
from tests.ops.test_backup_restore import backup

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def only_backup(s3, bucket: str) -> str:
    [stamp] = list_complete_backups(s3, bucket, "staging")
    return f"backups/staging/{stamp}/"


def restore(s3_endpoint: str, bucket: str, target: str, *extra: str) -> int:
    return ops(
        "restore",
        "--stack",
        "staging",
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_endpoint,
        "--target-url",
        target,
        *extra,
    )


@pytest.mark.parametrize("damage", ["truncated", "corrupted"])
def test_damaged_dump_is_refused_before_anything_is_restored(
    s3, s3_endpoint, bucket, source_db, empty_db, damage, capsys
):
    assert backup(s3_endpoint, bucket, source_db) == 0
    key = only_backup(s3, bucket) + "database.dump"
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if damage == "truncated":
        damaged = body[: len(body) // 2]
    else:  # same size, one flipped byte in the middle
        middle = len(body) // 2
        damaged = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
    s3.put_object(Bucket=bucket, Key=key, Body=damaged)

    assert restore(s3_endpoint, bucket, empty_db) == 1
    err = capsys.readouterr().err
    assert ("truncated" if damage == "truncated" else "corrupted") in err
    assert "nothing was restored" in err
    assert scalar(empty_db, "select count(*) from pg_tables where schemaname = 'public'") == 0
    assert scalar(empty_db, "select to_regclass('supabase_migrations.schema_migrations')") is None


def fake_pg_bin(tmp_path: Path, script_body: str) -> Path:
    """A bin folder whose pg_dump misbehaves; --version answers like the real one."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "pg_dump"
    script.write_text(
        f"#!{sys.executable}\nimport sys, os\n"
        "if '--version' in sys.argv:\n    print('pg_dump (PostgreSQL) 18.3'); sys.exit(0)\n" + script_body
    )
    script.chmod(0o755)
    for program in ("pg_restore", "psql"):
        (folder / program).symlink_to(postgres_bin_dir() / program)
    return folder


def test_pg_dump_failing_midway_leaves_no_manifest_and_no_upload(s3, s3_endpoint, bucket, source_db, tmp_path, capsys):
    # Six MiB (more than one 5 MiB part) of output, then a failure: the parts already sent must go.
    folder = fake_pg_bin(
        tmp_path,
        "sys.stdout.buffer.write(os.urandom(6 * 1024 * 1024)); sys.stdout.flush()\n"
        "sys.stderr.write('pg_dump: error: connection lost'); sys.exit(1)\n",
    )
    code = ops(
        "backup",
        "--stack",
        "staging",
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_endpoint,
        "--database-url",
        source_db,
        "--pg-bin-dir",
        folder,
        "--part-size-mib",
        "5",
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "pg_dump failed (exit 1)" in err and "connection lost" in err
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [], f"a failed run must leave nothing behind, found {keys}"
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


@pytest.fixture(scope="module")
def big_db(pg_cluster):
    """A database whose dump spans several 5 MiB parts, so a run can be stopped halfway."""
    from tests.ops.conftest import new_database

    url = new_database(pg_cluster)
    execute(
        url,
        "create table public.blobs (id int primary key, a text, b text, c text, d text);"
        "insert into public.blobs select g, md5(random()::text), md5(random()::text), "
        "md5(random()::text), md5(random()::text) from generate_series(1, 400000) g",
    )
    return url


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["terminated", "killed"])
def test_upload_stopped_halfway_leaves_no_manifest(s3, s3_endpoint, bucket, big_db, stop):
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops",
            "backup",
            "--stack",
            "staging",
            "--bucket",
            bucket,
            "--endpoint-url",
            s3_endpoint,
            "--database-url",
            big_db,
            "--part-size-mib",
            "5",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        if uploads and s3.list_parts(Bucket=bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"]).get(
            "Parts"
        ):
            break
        time.sleep(0.02)
    assert process.poll() is None, "the backup finished before it could be stopped; make big_db bigger"
    process.send_signal(stop)
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0

    assert list_complete_backups(s3, bucket, "staging") == []
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert not [k for k in keys if k.endswith("manifest.json")]
    if stop == signal.SIGTERM:  # a catchable stop also cleans up the parts
        assert b"no manifest written" in err
        assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # And nothing restores from it.
    assert restore(s3_endpoint, bucket, big_db) == 1


def test_interrupted_run_is_never_taken_as_the_newest_backup(s3, s3_endpoint, bucket, source_db):
    assert backup(s3_endpoint, bucket, source_db) == 0
    good = only_backup(s3, bucket)
    # A later run that died after uploading its dump: same layout, no manifest.
    s3.put_object(Bucket=bucket, Key="backups/staging/29991231T235959Z/database.dump", Body=b"PGDMP partial")
    assert list_complete_backups(s3, bucket, "staging") == [good.split("/")[2]]
