"""Each file starts from a clean session; a file marked no-transaction runs statement by statement."""

from __future__ import annotations

import psycopg
import pytest

import dbmigrate

MARKER = "-- migration: no-transaction\n"


def write(folder, name, sql):
    (folder / name).write_text(sql)
    return folder


def query(url, sql, *args):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args or None).fetchall()


def versions(url):
    return [row[0] for row in query(url, "select version from supabase_migrations.schema_migrations order by 1")]


def test_session_settings_of_one_file_do_not_leak_into_the_next(fresh_db, migrations_dir):
    write(
        migrations_dir,
        "20260101000100_empty_path.sql",
        "select pg_catalog.set_config('search_path', '', false);\ncreate table public.a (id int);\n",
    )
    # Without a reset between files, `notes` would find no schema to be created in (search_path is '').
    write(migrations_dir, "20260101000200_notes.sql", "create table notes (owner text default current_user);\n")
    dbmigrate.apply(fresh_db, migrations_dir)
    assert query(fresh_db, "select to_regclass('public.notes') is not null") == [(True,)]


def test_role_left_set_by_a_file_is_reset_before_the_next(fresh_db, migrations_dir):
    write(
        migrations_dir,
        "20260101000100_grant.sql",
        "create table public.seen (name text);\ngrant all on public.seen to authenticated;\n"
        "grant usage, create on schema supabase_migrations to authenticated;\n"
        "grant all on all tables in schema supabase_migrations to authenticated;\n"
        "set role authenticated;\ninsert into public.seen values (current_user);\n",
    )
    write(migrations_dir, "20260101000200_who.sql", "insert into public.seen values (current_user);\n")
    dbmigrate.apply(fresh_db, migrations_dir)
    assert query(fresh_db, "select name from public.seen") == [("authenticated",), ("postgres",)]


def test_file_leaving_a_role_that_cannot_write_the_history_fails_clearly(fresh_db, migrations_dir):
    write(migrations_dir, "20260101000100_role.sql", "create table public.a (id int);\nset role authenticated;\n")
    with pytest.raises(dbmigrate.MigrationFailed) as failed:
        dbmigrate.apply(fresh_db, migrations_dir)
    assert "recording it in supabase_migrations.schema_migrations failed: permission denied" in str(failed.value)
    assert "end it with `reset role`" in str(failed.value)
    assert query(fresh_db, "select to_regclass('public.a')") == [(None,)]


def test_no_transaction_file_builds_an_index_concurrently_and_records_it(fresh_db, migrations_dir):
    write(migrations_dir, "20260101000100_table.sql", "create table t (a int);\ninsert into t values (1), (2);\n")
    write(
        migrations_dir, "20260101000200_index.sql", MARKER + "create index concurrently if not exists t_a on t (a);\n"
    )
    report = dbmigrate.apply(fresh_db, migrations_dir)
    assert report.applied_now == ["20260101000100", "20260101000200"]
    assert query(fresh_db, "select indisvalid from pg_index where indexrelid = 't_a'::regclass") == [(True,)]
    statements = query(
        fresh_db, "select statements from supabase_migrations.schema_migrations where version = '20260101000200'"
    )[0][0]
    assert statements == ["-- migration: no-transaction\ncreate index concurrently if not exists t_a on t (a)"]


def test_no_transaction_failure_midway_records_nothing_and_the_rerun_repairs_the_invalid_index(
    fresh_db, migrations_dir
):
    write(
        migrations_dir,
        "20260101000100_table.sql",
        "create table t (a int, b int);\ninsert into t values (1, 7), (2, 7);\n",
    )
    write(
        migrations_dir,
        "20260101000200_indexes.sql",
        MARKER + "create index concurrently if not exists t_a on t (a);\n\n"
        "create unique index concurrently if not exists t_b on t (b);\n",
    )
    with pytest.raises(dbmigrate.MigrationFailed) as failed:
        dbmigrate.apply(fresh_db, migrations_dir)
    message = str(failed.value)
    assert "20260101000200_indexes.sql, line 4" in message
    assert "statements before this one stay applied" in message and "starts it again" in message
    assert versions(fresh_db) == ["20260101000100"]
    assert query(
        fresh_db,
        "select c.relname, i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid "
        "where c.relname like 't\\_%' order by 1",
    ) == [("t_a", True), ("t_b", False)]

    query(fresh_db, "update t set b = a returning a")  # the operator fixes the data
    report = dbmigrate.apply(fresh_db, migrations_dir)
    assert report.applied_now == ["20260101000200"]
    assert report.dropped_invalid_indexes == ["public.t_b"]
    assert query(fresh_db, "select indisvalid from pg_index where indexrelid = 't_b'::regclass") == [(True,)]


def test_concurrently_without_the_marker_is_refused_pointing_at_it(migrations_dir):
    write(migrations_dir, "20260101000100_index.sql", "create index concurrently i on t (x);\n")
    with pytest.raises(dbmigrate.MigrationFileError, match="first line is `-- migration: no-transaction`"):
        dbmigrate.parse_all(dbmigrate.load_files(migrations_dir))


def test_marker_anywhere_but_the_first_line_is_refused(migrations_dir):
    write(
        migrations_dir,
        "20260101000100_index.sql",
        "-- builds an index\n-- migration: no-transaction\ncreate index concurrently i on t (x);\n",
    )
    with pytest.raises(dbmigrate.MigrationFileError, match=r"_index\.sql, line 2: .*write it as the file's first"):
        dbmigrate.parse_all(dbmigrate.load_files(migrations_dir))


def test_transaction_control_is_refused_in_any_file(migrations_dir):
    write(migrations_dir, "20260101000100_commit.sql", MARKER + "create table a (id int);\ncommit;\n")
    with pytest.raises(dbmigrate.MigrationFileError, match=r"line 3: BEGIN / COMMIT / ROLLBACK"):
        dbmigrate.parse_all(dbmigrate.load_files(migrations_dir))


def test_vacuum_needs_the_marker_and_analyze_does_not(fresh_db, migrations_dir):
    write(migrations_dir, "20260101000100_t.sql", "create table t (a int);\nanalyze t;\n")
    write(migrations_dir, "20260101000200_vacuum.sql", "vacuum t;\n")
    with pytest.raises(dbmigrate.MigrationFileError, match=r"_vacuum\.sql, line 1: Vacuum cannot run inside"):
        dbmigrate.parse_all(dbmigrate.load_files(migrations_dir))
    write(migrations_dir, "20260101000200_vacuum.sql", MARKER + "vacuum t;\n")
    assert dbmigrate.apply(fresh_db, migrations_dir).applied_now == ["20260101000100", "20260101000200"]
