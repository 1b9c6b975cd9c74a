"""Guide 000 section 9.3, scenario 3 (complete project loss), timed: the newest nightly backup (database and
Storage) brought back into a new project, then the frontend's environment for it.

The new project here is what `pulumi up` leaves behind for the data steps: an empty database prepared like
Supabase's with every migration applied, and the Storage buckets, empty (moto stands in for the new
project's Storage S3 endpoint). The test times each step and prints the figures docs/runbooks.md states."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg

import dbmigrate
from ops.localdb import LocalDatabase
from tests.ops.conftest import new_database
from tests.ops.helpers import ops, table_checksums
from tests.schema.sessions import new_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = PROJECT_ROOT / "sql" / "migrations"
BUCKETS = ("documents", "avatars", "attachments")


def lived_in_project(url: str, users: int = 50) -> None:
    """The lost project's data: users (profiles by trigger), their conversations and messages."""
    dbmigrate.apply(url, MIGRATIONS)
    with psycopg.connect(url, autocommit=True) as db:
        for _ in range(users):
            user = new_user(db)
            [conversation] = db.execute("insert into public.conversations (user_id, title) values (%s, 'chat') "
                                        "returning id", (user,)).fetchone()
            db.execute("insert into public.messages (conversation_id, user_id, role, content) "
                       "select %s, %s, 'user', 'message ' || g from generate_series(1, 20) g", (conversation, user))


def test_complete_project_loss_is_recovered_from_the_newest_backup(s3, s3_endpoint, bucket, pg_cluster: LocalDatabase,
                                                                    tmp_path, monkeypatch, capsys):
    timings: dict[str, float] = {}
    old_db = new_database(pg_cluster)
    lived_in_project(old_db)
    prefix = f"{bucket}-old"
    for name in BUCKETS:
        s3.create_bucket(Bucket=f"{prefix}-{name}")
        for number in range(20):
            s3.put_object(Bucket=f"{prefix}-{name}", Key=f"user-{number}/file-{number}.bin",
                          Body=bytes([number]) * (1024 * (number + 1)))
    assert ops("backup", "--stack", "prod", "--bucket", bucket, "--endpoint-url", s3_endpoint, "--database-url",
               old_db, "--storage-endpoint-url", s3_endpoint,
               *[arg for name in BUCKETS for arg in ("--storage-bucket", f"{prefix}-{name}")]) == 0
    before = table_checksums(old_db)
    objects_before = {name: {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=f"{prefix}-{name}")["Contents"]}
                      for name in BUCKETS}

    # The project is lost: its database and every Storage object.
    for name in BUCKETS:
        for key in objects_before[name]:
            s3.delete_object(Bucket=f"{prefix}-{name}", Key=key)

    # 1. The new project as `pulumi up` leaves it: migrated, empty, with its (empty) buckets.
    started = time.perf_counter()
    new_db = new_database(pg_cluster)
    dbmigrate.apply(new_db, MIGRATIONS)
    timings["new project's schema (pulumi up's migrations)"] = time.perf_counter() - started

    # 2 + 5. The newest backup: the database over the migrated schema, then the Storage objects.
    started = time.perf_counter()
    code = ops("restore", "--stack", "prod", "--bucket", bucket, "--endpoint-url", s3_endpoint,
               "--target-url", new_db, "--clean", "--storage-endpoint-url", s3_endpoint)
    assert code == 0, capsys.readouterr().err
    timings["database and Storage restored"] = time.perf_counter() - started
    assert table_checksums(new_db) == before, "every table's rows as they were at the backup"
    for name in BUCKETS:
        restored = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=f"{prefix}-{name}")["Contents"]}
        assert restored == objects_before[name], name

    # 6. The frontend's environment for the new project.
    started = time.perf_counter()
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"supabaseUrl": "https://newprojectrefabcdefg.supabase.co",
                                   "supabaseAnonKey": "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.sig",
                                   "environment": "production", "appName": "AI Super Assistant",
                                   "appVersion": "1.0.0", "featureFlags": {}}))
    env_file = tmp_path / ".env.production"
    assert ops("frontend-env", "--outputs", outputs, "--output", env_file) == 0
    assert "VITE_SUPABASE_URL=https://newprojectrefabcdefg.supabase.co" in env_file.read_text()
    timings["frontend environment"] = time.perf_counter() - started

    rows = sum(count for count, _ in before.values())
    objects = sum(len(v) for v in objects_before.values())
    with capsys.disabled():
        print(f"\ncomplete-loss drill: {rows} rows, {objects} storage objects")
        for step, seconds in timings.items():
            print(f"  {step}: {seconds:.2f} s")
        print(f"  total: {sum(timings.values()):.2f} s")
