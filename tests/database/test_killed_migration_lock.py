"""A deploy killed in the middle of a migration (out of memory, a lost CI runner, a job timeout) frees the
migration lock within seconds, not when its statement would have ended: the server notices the vanished client
and ends the session, which rolls the file back. The rerun then applies the file once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

import dbmigrate
from dbmigrate.connection import APPLICATION_NAME

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSION = "20990101000000"
SLOW = "create table public.killed_probe (id int);\nselect pg_sleep(300);\n"
FAST = "create table public.killed_probe (id int);\n"


def _sleeping_migration_sessions(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where application_name = %s and query like %s",
            (APPLICATION_NAME, "%pg_sleep%"),
        ).fetchone()
    return int(row[0]) if row else 0


def test_killed_migration_frees_the_lock_and_the_rerun_applies_the_file_once(fresh_db, migrations_dir):
    migration = migrations_dir / f"{VERSION}_killed_probe.sql"
    migration.write_text(SLOW)
    running = subprocess.Popen(
        [sys.executable, "-m", "ops", "migrate", "--migrations-dir", str(migrations_dir)],
        cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": fresh_db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while _sleeping_migration_sessions(fresh_db) == 0:
            assert running.poll() is None, "the migration ended before it could be killed"
            assert time.monotonic() < deadline, "the migration never reached its slow statement"
            time.sleep(0.2)
    finally:
        running.send_signal(signal.SIGKILL)
        running.wait()

    # Not yet applied, so the file may still change: the rerun is fast. Under the old connection settings the
    # killed session kept the lock for the 300 s of its statement and this rerun gave up after 15 s.
    migration.write_text(FAST)
    report = dbmigrate.apply(fresh_db, migrations_dir, dbmigrate.MigrationOptions(lock_timeout_seconds=15))

    assert report.applied_now == [VERSION]
    assert _sleeping_migration_sessions(fresh_db) == 0
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        history = conn.execute(
            "select count(*) from supabase_migrations.schema_migrations where version = %s", (VERSION,)
        ).fetchone()
        assert history == (1,)
        assert conn.execute("select to_regclass('public.killed_probe') is not null").fetchone() == (True,)
