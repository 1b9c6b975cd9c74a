"""Guide 002's slow-query and table review, from `pg_stat_statements` and the catalog: the statements that
took the most time and the most calls, those whose mean time is over `alerts.slowQueryMilliseconds` (guide
000 section 10.2's "query response time > 1 second"), each table's size and dead rows, and the cache hit
ratios. The figures are the ones `supabase inspect db outliers|calls|table-sizes|cache-hit` prints for the
same database (tests/ops/test_database_figures.py compares them).

The SQL runs through a `Query` callable: the Management API's read-only SQL endpoint in the scheduled
function (ops/metrics/sql_endpoint.py, standard library only), a direct connection in `ops scrape-metrics
--database-url` and `ops report`. Every relation is schema-qualified, as that endpoint requires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ops.metrics.gauges import MetricsError

Query = Callable[[str], list[dict[str, Any]]]
DEFAULT_SLOW_MILLISECONDS = 1000.0
TOP = 10

# Statements of every role: the Data API's (authenticated, anon, service_role), the functions' and the
# migrations'. Time in milliseconds, as pg_stat_statements keeps it.
STATEMENTS_SQL = """
select s.query, s.calls::bigint as calls, s.total_exec_time::float8 as total_ms,
       s.mean_exec_time::float8 as mean_ms, s.rows::bigint as rows
from extensions.pg_stat_statements s
where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
order by {order} desc
limit {limit}
"""
SLOW_SQL = """
select count(*)::bigint as slow, coalesce(max(s.mean_exec_time), 0)::float8 as slowest_ms
from extensions.pg_stat_statements s
where s.dbid = (select d.oid from pg_catalog.pg_database d where d.datname = pg_catalog.current_database())
  and s.mean_exec_time > {threshold}
"""
# Ordinary and partitioned tables outside the schemas Supabase and PostgreSQL own.
TABLES_SQL = """
select n.nspname || '.' || c.relname as name,
       pg_catalog.pg_total_relation_size(c.oid)::bigint as total_bytes,
       pg_catalog.pg_table_size(c.oid)::bigint as table_bytes,
       pg_catalog.pg_indexes_size(c.oid)::bigint as index_bytes,
       coalesce(st.n_live_tup, 0)::bigint as live_rows,
       coalesce(st.n_dead_tup, 0)::bigint as dead_rows
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
left join pg_catalog.pg_stat_user_tables st on st.relid = c.oid
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and n.nspname not like 'pg_temp%'
order by total_bytes desc
"""
CACHE_HIT_SQL = """
select (select sum(heap_blks_hit)::float8 from pg_catalog.pg_statio_user_tables) as table_hit,
       (select sum(heap_blks_hit + heap_blks_read)::float8 from pg_catalog.pg_statio_user_tables) as table_all,
       (select sum(idx_blks_hit)::float8 from pg_catalog.pg_statio_user_indexes) as index_hit,
       (select sum(idx_blks_hit + idx_blks_read)::float8 from pg_catalog.pg_statio_user_indexes) as index_all,
       pg_catalog.pg_database_size(pg_catalog.current_database())::bigint as database_bytes
"""


@dataclass(frozen=True)
class Statement:
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int


@dataclass(frozen=True)
class Table:
    name: str  # schema.table
    total_bytes: int  # with its indexes and TOAST
    table_bytes: int
    index_bytes: int
    live_rows: int
    dead_rows: int


@dataclass(frozen=True)
class DatabaseFigures:
    by_time: tuple[Statement, ...]  # `inspect db outliers`
    by_calls: tuple[Statement, ...]  # `inspect db calls`
    slow_statements: int  # statements whose mean time is over the threshold
    slowest_mean_ms: float
    tables: tuple[Table, ...]  # largest first
    table_hit_ratio: float | None  # None: no block was ever read (a fresh database)
    index_hit_ratio: float | None
    database_bytes: int

    def gauges(self) -> dict[str, float]:
        """What goes to CloudWatch: figures for the whole database, never per statement (each metric costs)."""
        values: dict[str, float] = {
            "SlowStatements": self.slow_statements,
            "SlowestStatementMilliseconds": round(self.slowest_mean_ms, 2),
            "DeadRows": sum(table.dead_rows for table in self.tables),
            "DatabaseBytes": self.database_bytes,
        }
        if self.table_hit_ratio is not None:
            values["TableCacheHitRatio"] = round(100.0 * self.table_hit_ratio, 2)
        if self.index_hit_ratio is not None:
            values["IndexCacheHitRatio"] = round(100.0 * self.index_hit_ratio, 2)
        return values


UNITS = {
    "SlowStatements": "Count",
    "SlowestStatementMilliseconds": "Milliseconds",
    "DeadRows": "Count",
    "DatabaseBytes": "Bytes",
    "TableCacheHitRatio": "Percent",
    "IndexCacheHitRatio": "Percent",
}


def database_figures(query: Query, *, slow_ms: float = DEFAULT_SLOW_MILLISECONDS, top: int = TOP) -> DatabaseFigures:
    if not slow_ms > 0:
        raise MetricsError(f"the slow-statement threshold must be a positive number of milliseconds, not {slow_ms!r}")
    by_time = _statements(query(STATEMENTS_SQL.format(order="s.total_exec_time", limit=int(top))))
    by_calls = _statements(query(STATEMENTS_SQL.format(order="s.calls", limit=int(top))))
    slow = _one(query(SLOW_SQL.format(threshold=float(slow_ms))), "slow statements")
    cache = _one(query(CACHE_HIT_SQL), "cache hit ratio")
    return DatabaseFigures(
        by_time=by_time,
        by_calls=by_calls,
        slow_statements=_int(slow, "slow"),
        slowest_mean_ms=_float(slow, "slowest_ms"),
        tables=tuple(
            Table(
                name=str(row["name"]),
                total_bytes=_int(row, "total_bytes"),
                table_bytes=_int(row, "table_bytes"),
                index_bytes=_int(row, "index_bytes"),
                live_rows=_int(row, "live_rows"),
                dead_rows=_int(row, "dead_rows"),
            )
            for row in query(TABLES_SQL)
        ),
        table_hit_ratio=_ratio(cache, "table_hit", "table_all"),
        index_hit_ratio=_ratio(cache, "index_hit", "index_all"),
        database_bytes=_int(cache, "database_bytes"),
    )


def _statements(rows: list[dict[str, Any]]) -> tuple[Statement, ...]:
    return tuple(
        Statement(
            query=str(row.get("query") or ""),
            calls=_int(row, "calls"),
            total_ms=_float(row, "total_ms"),
            mean_ms=_float(row, "mean_ms"),
            rows=_int(row, "rows"),
        )
        for row in rows
    )


def _one(rows: list[dict[str, Any]], what: str) -> dict[str, Any]:
    if len(rows) != 1:
        raise MetricsError(f"the {what} query answered {len(rows)} rows, not one")
    return rows[0]


def _ratio(row: dict[str, Any], hit: str, every: str) -> float | None:
    total = _float(row, every)
    return _float(row, hit) / total if total > 0 else None


def _float(row: dict[str, Any], column: str) -> float:
    value = row.get(column)
    if value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MetricsError(f"the database's {column} is not a number ({value!r:.40})") from None


def _int(row: dict[str, Any], column: str) -> int:
    return int(_float(row, column))


def publish_database_figures(
    query: Query, stack: str, cloudwatch: Any, *, namespace: str, slow_ms: float = DEFAULT_SLOW_MILLISECONDS
) -> dict[str, float]:
    values = database_figures(query, slow_ms=slow_ms).gauges()
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {"MetricName": name, "Dimensions": [{"Name": "Stack", "Value": stack}], "Value": value, "Unit": UNITS[name]}
            for name, value in values.items()
        ],
    )
    return values
