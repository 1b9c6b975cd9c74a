"""What a run costs the database: a no-op is one query and no DDL; a held lock fails clearly."""

from __future__ import annotations

import psycopg
import pytest

import dbmigrate
from tests.conftest import dbname_of


@pytest.fixture
def ddl_log(pg_cluster, fresh_db):
    """Every DDL command the database runs from now on, recorded by an event trigger."""
    dbname = dbname_of(fresh_db)
    pg_cluster.psql(
        "create table public.ddl_log (tag text); grant insert, select on public.ddl_log to public;"
        "create function public.log_ddl() returns event_trigger language plpgsql as "
        "$$ begin insert into public.ddl_log values (tg_tag); end $$;"
        "create event trigger log_ddl on ddl_command_start execute function public.log_ddl();",
        dbname=dbname,
    )

    def read() -> list[str]:
        with psycopg.connect(fresh_db) as conn:
            return [row[0] for row in conn.execute("select tag from public.ddl_log")]

    return read


def test_noop_run_is_one_query_and_runs_no_ddl(fresh_db, migrations_dir, ddl_log, monkeypatch):
    (migrations_dir / "20250101000000_notes.sql").write_text("create table notes (id int);\n")
    dbmigrate.apply(fresh_db, migrations_dir)
    ddl_before = ddl_log()

    queries: list[str] = []
    original = psycopg.Connection.execute

    def counting(self, query, *args, **kwargs):
        queries.append(str(query))
        return original(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counting)
    report = dbmigrate.apply(fresh_db, migrations_dir)
    monkeypatch.undo()

    assert report.plan.is_noop and report.applied_now == []
    assert len(queries) == 1, queries
    assert ddl_log() == ddl_before


def test_deploy_stuck_behind_the_migration_lock_fails_clearly(fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text("create table notes (id int);\n")
    with psycopg.connect(fresh_db, autocommit=True) as other_deploy:
        other_deploy.execute("select pg_advisory_lock(%s)", (dbmigrate.ADVISORY_LOCK_KEY,))
        with pytest.raises(dbmigrate.MigrationLockTimeout, match="held the migration lock for more than 1s"):
            dbmigrate.apply(fresh_db, migrations_dir, dbmigrate.MigrationOptions(lock_timeout_seconds=1))


def test_migration_waiting_on_a_busy_table_fails_clearly_and_applies_nothing(fresh_db, migrations_dir):
    dbmigrate.apply(fresh_db, _write(migrations_dir, "20250101000000_notes.sql", "create table notes (id int);\n"))
    _write(
        migrations_dir,
        "20250102000000_alter.sql",
        "create table other (id int);\nalter table notes add column body text;\n",
    )
    with psycopg.connect(fresh_db) as app:  # an application transaction holding the table
        app.execute("lock table notes in access share mode")
        with pytest.raises(dbmigrate.MigrationLockTimeout, match=r"20250102000000_alter\.sql, line 2"):
            dbmigrate.apply(fresh_db, migrations_dir, dbmigrate.MigrationOptions(lock_timeout_seconds=1))
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select to_regclass('public.other')").fetchone()[0] is None


def test_syntax_error_in_a_later_file_stops_the_run_before_any_file_is_applied(fresh_db, migrations_dir):
    _write(migrations_dir, "20250101000000_good.sql", "create table good (id int);\n")
    _write(migrations_dir, "20250102000000_typo.sql", "create table ok (id int);\n\ncreate tabel nope ();\n")
    with pytest.raises(dbmigrate.MigrationFileError, match=r"20250102000000_typo\.sql, line 3: syntax error"):
        dbmigrate.apply(fresh_db, migrations_dir)
    with psycopg.connect(fresh_db) as conn:
        assert conn.execute("select to_regclass('public.good')").fetchone()[0] is None


def test_concurrently_is_refused_because_each_file_is_one_transaction(migrations_dir):
    _write(migrations_dir, "20250101000000_index.sql", "create index concurrently i on t (x);\n")
    with pytest.raises(dbmigrate.MigrationFileError, match="cannot run inside the migration's transaction"):
        dbmigrate.parse_all(dbmigrate.load_files(migrations_dir))


def _write(folder, name, sql):
    (folder / name).write_text(sql)
    return folder
