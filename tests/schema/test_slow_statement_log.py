"""Guide 002's slow-statement log (`log_min_duration_statement = 1000`) the way Supabase permits it: on the
postgres role, so a new session as postgres logs each statement of a second or more with its duration."""

from __future__ import annotations

import time

import psycopg

from ops.localdb import LocalDatabase

SLOW = "select pg_sleep(1.02) as slow_statement_marker"


def test_new_postgres_sessions_log_statements_over_one_second(pg_cluster: LocalDatabase, migrated_copy: str):
    with psycopg.connect(migrated_copy, autocommit=True) as db:
        assert db.execute("show log_min_duration_statement").fetchone()[0] == "1s"
        db.execute("select 1 as quick_statement_marker")
        db.execute(SLOW)
    deadline = time.monotonic() + 5  # the server writes its log asynchronously
    log = ""
    while time.monotonic() < deadline and SLOW not in log:
        log = pg_cluster.log_file.read_text(errors="replace")
        time.sleep(0.1)
    line = next(line for line in log.splitlines() if SLOW in line)
    assert "duration: " in line and " ms" in line, line
    assert "quick_statement_marker" not in log, "statements under a second are not logged"


def test_the_setting_lives_on_the_role_not_the_system(pg_cluster: LocalDatabase, migrated_copy: str):
    settings = pg_cluster.psql(
        "select array_to_string(setconfig, ',') from pg_db_role_setting s "
        "join pg_roles r on r.oid = s.setrole where r.rolname = 'postgres' "
        "and s.setdatabase = 0"
    )
    assert "log_min_duration_statement=1s" in settings
    assert (
        pg_cluster.psql(
            "select setting from pg_settings where name = 'log_min_duration_statement' "
            "and source = 'configuration file'"
        )
        == ""
    ), "no ALTER SYSTEM (refused on Supabase)"
