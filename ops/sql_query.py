"""A direct database connection as a `Query` (ops/metrics/database_figures.py) for the operator CLI: `ops
scrape-metrics --database-url` and `ops report`. Each statement in its own read-only transaction."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from ops.metrics.database_figures import Query
from ops.metrics.gauges import MetricsError


def connection_query(database_url: str) -> Query:
    def run(sql: str) -> list[dict[str, Any]]:
        try:
            # Read-only from the start (a startup option, so it costs no statement of its own).
            with psycopg.connect(
                database_url,
                autocommit=True,
                row_factory=dict_row,
                connect_timeout=10,
                options="-c default_transaction_read_only=on",
            ) as db:
                return list(db.execute(sql).fetchall())
        except psycopg.Error as exc:
            # The message of a refused statement never holds the URL; a refused connection's may, so say less.
            if isinstance(exc, psycopg.OperationalError):
                raise MetricsError("the database could not be reached (check --database-url)") from None
            raise MetricsError(f"the database refused a figures query: {str(exc).splitlines()[0][:300]}") from None

    return run
