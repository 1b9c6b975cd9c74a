"""The database figures (ops/metrics/database_figures.py) against the real Supabase CLI: on a database with a
known workload, the statements, calls, times, table sizes, dead rows and cache hit ratios our scraper reports
are the ones `supabase inspect db outliers|calls|table-stats|vacuum-stats|db-stats` prints for it. The same
figures through the Management API's read-only SQL endpoint (the stand-in runs it on the same database)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from ops.localdb import LocalDatabase
from ops.metrics.database_figures import DatabaseFigures, Statement, database_figures
from ops.metrics.gauges import MetricsError
from ops.metrics.sql_endpoint import read_only_query
from ops.sql_query import connection_query
from tests.conftest import dbname_of
from tests.database.supabase_cli import SUPABASE_BIN, SupabaseCli
from tests.supabase.fake_api import FakeSupabase

ROWS = 400
UPDATED = 150  # each update leaves one dead row behind
SLEEP = "select pg_sleep(1.05)"  # the one statement over the default 1000 ms


@dataclass(frozen=True)
class Workload:
    url: str  # as postgres, over the socket
    tcp_url: str  # as postgres, for the CLI
    monitor_url: str  # a pg_monitor member (db-stats reads the WAL directory)


def _interval_ms(text: str) -> float:
    """The CLI's `(interval '1 millisecond' * x)::text`, e.g. 00:00:01.050211, back to milliseconds."""
    hours, minutes, seconds = text.split(":")
    return (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000


@pytest.fixture
def workload(pg_cluster: LocalDatabase, fresh_db: str) -> Iterator[Workload]:
    name = dbname_of(fresh_db)
    pg_cluster.psql("create extension if not exists pg_buffercache", dbname=name)
    # Reset for the whole cluster, not just this database: `inspect db calls` ranks the cluster's statements, and
    # the session's other tests would otherwise push this workload's insert out of its top list.
    pg_cluster.psql("select extensions.pg_stat_statements_reset()", dbname=name)
    with psycopg.connect(fresh_db, autocommit=True) as db:
        db.execute("create table public.notes (id int primary key, body text not null)")
        for i in range(ROWS):
            db.execute("insert into public.notes values (%s, %s)", (i, "n" * (i % 97)))
        for i in range(UPDATED):
            db.execute("update public.notes set body = body || '!' where id = %s", (i,))
        db.execute(SLEEP)
    # Blocks read from disk, not from shared buffers, so the hit ratio is not a trivial 1.00.
    pg_cluster.psql("select pg_buffercache_evict_relation('public.notes'::regclass)", dbname=name)
    with psycopg.connect(fresh_db, autocommit=True) as db:
        for _ in range(3):
            db.execute("select count(*) from public.notes where body like %s", ("%!%",))
    role = f"monitor_{name}"
    pg_cluster.psql(
        f"create role {role} login password 'monitor-pw' in role pg_monitor; "
        f"grant usage on schema extensions to {role}",
        dbname=name,
    )
    try:
        yield Workload(
            url=fresh_db,
            tcp_url=f"{pg_cluster.tcp_url(dbname=name)}?sslmode=disable",
            monitor_url=f"postgresql://{role}:monitor-pw@127.0.0.1:{pg_cluster.port}/{name}?sslmode=disable",
        )
    finally:
        pg_cluster.psql(f"drop owned by {role}; drop role {role}", dbname=name)


def inspect(workload: Workload, tmp_path: Path, command: str, *, url: str | None = None) -> list[dict[str, str]]:
    if not SUPABASE_BIN.exists():
        pytest.skip("the Supabase CLI is not installed; run `make install` (npm installs it from package.json)")
    (tmp_path / "supabase").mkdir(exist_ok=True)
    cli = SupabaseCli(workdir=tmp_path, db_url=url or workload.tcp_url)
    output = cli.run("inspect", "db", command, "--output-format", "json").stdout
    return json.loads(output)["rows"]


def workload_statements(statements: tuple[Statement, ...]) -> dict[str, Statement]:
    return {s.query: s for s in statements if "public.notes" in s.query or "pg_sleep" in s.query}


def test_top_statements_agree_with_inspect_outliers_and_calls(workload, tmp_path):
    # The CLI ranks only its own user's statements; ours ranks every role's, so look further down our list.
    ours = database_figures(connection_query(workload.url), top=100)
    theirs = {
        row["query"]: row
        for row in inspect(workload, tmp_path, "outliers")
        if "public.notes" in row["query"] or "pg_sleep" in row["query"]
    }
    mine = workload_statements(ours.by_time)
    assert set(theirs) <= set(mine), f"statements the CLI ranks that we do not: {set(theirs) - set(mine)}"
    assert "select pg_sleep($1)" in theirs, "the workload's slowest statement is the CLI's top outlier"
    for query, row in theirs.items():
        assert int(row["ncalls"].replace(",", "")) == mine[query].calls, query
        assert _interval_ms(row["total_exec_time"]) == pytest.approx(mine[query].total_ms, abs=0.002), query
    by_calls = {row["query"]: int(row["ncalls"].replace(",", "")) for row in inspect(workload, tmp_path, "calls")}
    ours_by_calls = {s.query: s.calls for s in ours.by_calls}
    insert = "insert into public.notes values ($1, $2)"
    assert by_calls[insert] == ours_by_calls[insert] == ROWS
    assert ours.by_calls[0].query == insert, "the most-called statement comes first"


def test_slow_statements_are_those_over_the_threshold(workload):
    figures = database_figures(connection_query(workload.url))
    assert figures.slow_statements == 1, "only pg_sleep(1.05) averages over 1000 ms"
    assert 1050 <= figures.slowest_mean_ms < 1500
    lower = database_figures(connection_query(workload.url), slow_ms=0.0001)
    assert lower.slow_statements > 3, "a lower alerts.slowQueryMilliseconds counts more statements"
    with pytest.raises(MetricsError, match="positive number of milliseconds"):
        database_figures(connection_query(workload.url), slow_ms=0)


def test_table_sizes_and_dead_rows_agree_with_inspect_table_and_vacuum_stats(workload, tmp_path):
    figures = database_figures(connection_query(workload.url))
    notes = next(t for t in figures.tables if t.name == "public.notes")
    theirs = next(row for row in inspect(workload, tmp_path, "table-stats") if row["name"] == "public.notes")
    with psycopg.connect(workload.url) as db:
        pretty = {
            key: db.execute("select pg_size_pretty(%s::bigint)", (value,)).fetchone()[0]
            for key, value in (
                ("table_size", notes.table_bytes),
                ("index_size", notes.index_bytes),
                ("total_size", notes.total_bytes),
            )
        }
    assert pretty == {key: theirs[key] for key in pretty}
    assert notes.live_rows == int(theirs["estimated_row_count"]) == ROWS
    vacuum = next(row for row in inspect(workload, tmp_path, "vacuum-stats") if row["name"] == "public.notes")
    # Fewer than UPDATED: reads prune dead row versions on the pages they visit (heap-only tuples).
    assert notes.dead_rows == int(vacuum["dead_rowcount"].strip()) > 0
    assert figures.gauges()["DeadRows"] >= notes.dead_rows


def test_cache_hit_ratios_agree_with_inspect_db_stats(workload, tmp_path):
    figures = database_figures(connection_query(workload.url))
    theirs = inspect(workload, tmp_path, "db-stats", url=workload.monitor_url)[0]
    assert figures.table_hit_ratio is not None and figures.table_hit_ratio < 1.0, (
        "the evicted blocks were read from disk"
    )
    assert f"{figures.table_hit_ratio:.2f}" == theirs["table_hit_rate"]
    assert f"{figures.index_hit_ratio:.2f}" == theirs["index_hit_rate"]
    with psycopg.connect(workload.url) as db:
        size = db.execute("select pg_size_pretty(%s::bigint)", (figures.database_bytes,)).fetchone()[0]
    assert size == theirs["database_size"]


def test_the_read_only_endpoint_reports_the_same_figures(workload):
    fake = FakeSupabase().start()
    try:
        project = fake.add_project("assistant", database_url=workload.url)
        # A long list: the figures' own queries add statements of their own, which must not push the
        # workload's past the end of one list and not the other.
        through_api = database_figures(read_only_query(fake.url, fake.token, project.ref), top=100)
        direct = database_figures(connection_query(workload.url), top=100)
        assert fake.count("v1-read-only-query") == 5
    finally:
        fake.stop()
    assert not fake.violations, fake.violations
    assert workload_statements(through_api.by_time) == workload_statements(direct.by_time)
    assert through_api.tables == direct.tables
    assert (through_api.slow_statements, through_api.database_bytes) == (direct.slow_statements, direct.database_bytes)


def test_a_refused_endpoint_names_the_reason_and_never_the_token(workload):
    fake = FakeSupabase().start()
    try:
        project = fake.add_project("assistant", database_url=workload.url)
        with pytest.raises(MetricsError, match=r"HTTP 401 \(the monitoring token was refused") as refused:
            database_figures(read_only_query(fake.url, "sbp_wrong_token_000", project.ref))
        assert "sbp_wrong_token_000" not in str(refused.value)
        with pytest.raises(MetricsError, match=r"HTTP 400: Failed to run sql query: .*read-only transaction"):
            read_only_query(fake.url, fake.token, project.ref)("delete from public.notes")
    finally:
        fake.stop()
    with psycopg.connect(workload.url) as db:
        assert db.execute("select count(*) from public.notes").fetchone()[0] == ROWS, "nothing was written"


def test_gauges_are_database_wide_figures_only():
    figures = DatabaseFigures(
        by_time=(),
        by_calls=(),
        slow_statements=2,
        slowest_mean_ms=1234.567,
        tables=(),
        table_hit_ratio=None,
        index_hit_ratio=0.98765,
        database_bytes=10,
    )
    assert figures.gauges() == {
        "SlowStatements": 2,
        "SlowestStatementMilliseconds": 1234.57,
        "DeadRows": 0,
        "DatabaseBytes": 10,
        "IndexCacheHitRatio": 98.77,
    }
    assert not any(re.search(r"\d", name) for name in figures.gauges()), "no per-statement metric names"


def test_scrape_metrics_publishes_the_figures_of_a_database_url(pg_cluster, migrated_url, s3_endpoint, capsys):
    from datetime import UTC, datetime, timedelta

    import boto3

    from tests.ops.helpers import ops

    name = dbname_of(migrated_url)
    pg_cluster.psql(f"select extensions.pg_stat_statements_reset(0, oid, 0) from pg_database where datname = '{name}'")
    with psycopg.connect(migrated_url, autocommit=True) as db:
        db.execute(SLEEP)
    stack = f"figures-{name}"
    assert (
        ops(
            "scrape-metrics",
            "--database-url",
            migrated_url,
            "--stack",
            stack,
            "--endpoint-url",
            s3_endpoint,
            "--region",
            "eu-central-1",
        )
        == 0
    ), capsys.readouterr().err
    assert "SlowStatements 1," in capsys.readouterr().out
    cloudwatch = boto3.client("cloudwatch", endpoint_url=s3_endpoint, region_name="eu-central-1")
    now = datetime.now(UTC)
    points = {
        metric: [
            p["Maximum"]
            for p in cloudwatch.get_metric_statistics(
                Namespace="AiPlatform/Supabase",
                MetricName=metric,
                Dimensions=[{"Name": "Stack", "Value": stack}],
                StartTime=now - timedelta(minutes=5),
                EndTime=now + timedelta(minutes=1),
                Period=60,
                Statistics=["Maximum"],
            )["Datapoints"]
        ]
        for metric in ("SlowStatements", "DocumentJobsPending")
    }
    assert points == {"SlowStatements": [1.0], "DocumentJobsPending": [0.0]}
    assert (
        ops(
            "scrape-metrics",
            "--database-url",
            "postgresql://nobody:pw@127.0.0.1:1/none",
            "--stack",
            stack,
            "--endpoint-url",
            s3_endpoint,
            "--region",
            "eu-central-1",
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "could not be reached (check --database-url)" in err and ":pw@" not in err
