"""The migrations provider driven through Pulumi's real provider host against a real PostgreSQL."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from providers.migrations import MigrationsProvider
from tests.conftest import dbname_of
from tests.harness.provider_host import ProviderError, ProviderHost, Secret

FIRST = "create table notes (id int primary key, body text);\ninsert into notes values (1, '100% done');\n"
SECOND = (
    "create extension if not exists vector with schema extensions;\nalter table notes add column embedding vector(3);\n"
)


def props(url: str, folder: Path, **extra: object) -> dict[str, object]:
    files = dbmigrate.load_files(folder)
    return {
        "connection": Secret(url),
        "migrationsDir": str(folder),
        "migrations": [{"version": f.version, "name": f.name, "checksum": f.checksum} for f in files],
        "lockTimeoutSeconds": 5,
        "allowOutOfOrder": False,
        "acceptChangedVersions": [],
        **extra,
    }


def history(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        try:
            return [
                row[0] for row in conn.execute("select version from supabase_migrations.schema_migrations order by 1")
            ]
        except psycopg.errors.UndefinedTable:
            return []


def exists(url: str, relation: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


@pytest.fixture(scope="module")
def host():
    with ProviderHost() as running:
        yield running


def test_fresh_apply_then_noop_then_only_the_new_file(host, fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    created = host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    assert history(fresh_db) == ["20250101000000"]
    assert created.outs["appliedCount"] == 1.0  # numbers come back through protobuf as floats
    assert "connection" in created.secret_outputs
    assert created.id.startswith("migrations:postgres@") and "host=" not in created.id

    unchanged = host.diff(MigrationsProvider(), created.id, created.outs, props(fresh_db, migrations_dir))
    assert unchanged.changes is False

    (migrations_dir / "20250102000000_embeddings.sql").write_text(SECOND)
    news = props(fresh_db, migrations_dir)
    assert host.diff(MigrationsProvider(), created.id, created.outs, news).changes is True
    updated = host.update(MigrationsProvider(), created.id, created.outs, news)
    assert [a["version"] for a in updated.outs["applied"]] == ["20250101000000", "20250102000000"]
    with psycopg.connect(fresh_db) as conn:  # the first file did not run twice
        assert conn.execute("select count(*) from notes").fetchone()[0] == 1


def test_history_matches_what_the_supabase_cli_keeps(host, fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    with psycopg.connect(fresh_db) as conn:
        version, name, statements = conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations"
        ).fetchone()
        checksum = conn.execute("select checksum from supabase_migrations.schema_migration_checksums").fetchone()[0]
    assert (version, name) == ("20250101000000", "notes")
    assert statements == [
        "create table notes (id int primary key, body text)",
        "insert into notes values (1, '100% done')",
    ]
    assert checksum == dbmigrate.checksum_of(FIRST)


def test_edited_applied_file_is_refused_naming_the_file(host, fresh_db, migrations_dir):
    path = migrations_dir / "20250101000000_notes.sql"
    path.write_text(FIRST)
    created = host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    path.write_text(FIRST + "drop table notes;\n")
    with pytest.raises(ProviderError) as refused:
        host.update(MigrationsProvider(), created.id, created.outs, props(fresh_db, migrations_dir))
    assert "20250101000000_notes.sql was edited after it was applied" in refused.value.details
    assert exists(fresh_db, "public.notes")


def test_unknown_database_version_is_refused(host, fresh_db, migrations_dir):
    path = migrations_dir / "20250101000000_notes.sql"
    path.write_text(FIRST)
    created = host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    path.rename(migrations_dir / "20250105000000_notes.sql")
    with pytest.raises(ProviderError, match="20250101000000 that no file"):
        host.update(MigrationsProvider(), created.id, created.outs, props(fresh_db, migrations_dir))


def test_bad_sql_names_file_and_line_and_applies_nothing_of_that_file(host, fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    (migrations_dir / "20250102000000_broken.sql").write_text(
        "create table tags (id int);\n\n-- the typo is in the table name\ninsert into tagz values (1);\n"
    )
    with pytest.raises(ProviderError) as failed:
        host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    assert "20250102000000_broken.sql, line 4" in failed.value.details
    assert 'relation "tagz" does not exist' in failed.value.details
    assert not exists(fresh_db, "public.tags")
    assert history(fresh_db) == ["20250101000000"]  # the good file before it stays applied


def test_two_concurrent_applies_apply_each_file_once(fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_slow.sql").write_text(
        "create table runs (at timestamptz default now());\ninsert into runs default values;\nselect pg_sleep(1);\n"
    )
    errors: list[BaseException] = []

    def deploy() -> None:
        try:
            with ProviderHost() as own_host:
                own_host.create(MigrationsProvider(), props(fresh_db, migrations_dir, lockTimeoutSeconds=30))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deploy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select count(*) from runs").fetchone()[0] == 1
    assert history(fresh_db) == ["20250101000000"]


def test_deploy_killed_mid_migration_leaves_nothing_and_next_run_finishes(pg_cluster, fresh_db, migrations_dir):
    # The migration blocks on an advisory lock the test holds, so the kill lands mid-file for certain.
    (migrations_dir / "20250101000000_blocked.sql").write_text(
        "create table half (id int);\nselect pg_advisory_xact_lock(4242);\ninsert into half values (1);\n"
    )
    blocker = psycopg.connect(fresh_db, autocommit=True)
    blocker.execute("select pg_advisory_lock(4242)")
    host = ProviderHost().__enter__()
    try:

        def doomed_deploy() -> None:
            with pytest.raises(ProviderError):
                host.create(MigrationsProvider(), props(fresh_db, migrations_dir, lockTimeoutSeconds=60))

        worker = threading.Thread(target=doomed_deploy)
        worker.start()
        _wait_for(lambda: _waiting_on_advisory_lock(fresh_db), "the migration to block")
        os.kill(host._process.pid, signal.SIGKILL)
        worker.join(timeout=30)
    finally:
        host.__exit__(None, None, None)
        blocker.execute("select pg_advisory_unlock(4242)")
        blocker.close()
    _wait_for(lambda: not _waiting_on_advisory_lock(fresh_db), "the server to end the killed session")
    assert not exists(fresh_db, "public.half")
    assert history(fresh_db) == []
    with ProviderHost() as again:
        again.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    assert history(fresh_db) == ["20250101000000"]


def test_unreachable_database_gives_clear_error_without_the_password(host, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    url = "postgresql://deployer:Sup3r-s3cret-pw@127.0.0.1:1/postgres"
    with pytest.raises(ProviderError) as failed:
        host.create(MigrationsProvider(), props(url, migrations_dir))
    assert "cannot connect to deployer@127.0.0.1:1/postgres" in failed.value.details
    assert "Sup3r-s3cret-pw" not in failed.value.details
    assert "Sup3r-s3cret-pw" not in host.log_text()


def test_wrong_password_is_reported_without_it(host, pg_cluster, fresh_db, migrations_dir):
    pg_cluster.psql(
        "do $$ begin create role deployer login password 'right-pw-123'; exception when duplicate_object then null; end $$"
    )
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    url = pg_cluster.tcp_url(user="deployer", password="wrong-pw-456", dbname=dbname_of(fresh_db))
    with pytest.raises(ProviderError) as failed:
        host.create(MigrationsProvider(), props(url, migrations_dir))
    assert "password authentication failed" in failed.value.details
    assert "wrong-pw-456" not in failed.value.details


def test_refresh_reports_what_the_database_holds(host, fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    (migrations_dir / "20250102000000_embeddings.sql").write_text(SECOND)
    created = host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    with psycopg.connect(fresh_db) as conn:  # someone rolls a version back by hand
        conn.execute("delete from supabase_migrations.schema_migrations where version = '20250102000000'")
    refreshed = host.read(MigrationsProvider(), created.id, created.outs)
    assert [a["version"] for a in refreshed.outs["applied"]] == ["20250101000000"]
    assert host.diff(MigrationsProvider(), created.id, refreshed.outs, props(fresh_db, migrations_dir)).changes is True


def test_delete_drops_nothing(host, fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text(FIRST)
    created = host.create(MigrationsProvider(), props(fresh_db, migrations_dir))
    host.delete(MigrationsProvider(), created.id, created.outs)
    assert exists(fresh_db, "public.notes") and history(fresh_db) == ["20250101000000"]


def _waiting_on_advisory_lock(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select count(*) > 0 from pg_stat_activity where wait_event = 'advisory' and application_name = %s",
            ("ai-platform-migrations",),
        ).fetchone()[0]


def _wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
