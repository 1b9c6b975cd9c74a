"""The stand-in's read-only SQL endpoint (`POST /v1/projects/{ref}/database/query/read-only`): the query runs
in a real PostgreSQL database (the project's `database_url`, set by the test) inside a read-only transaction,
as Supabase runs it as `supabase_read_only_user`. A statement that writes, or fails, is answered as the live
API answers it: HTTP 400 with `{"message": ...}`.

The spec documents the 201 answer without a schema; the live API's body is the rows as a JSON array of
objects (column name -> value), which is what this answers."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import psycopg
from psycopg.rows import dict_row


def run_read_only(database_url: str | None, sql: str) -> tuple[int, Any]:
    if not database_url:
        return 400, {"message": "this project has no database in the stand-in (set project.database_url)"}
    try:
        with psycopg.connect(database_url, row_factory=dict_row) as db:
            db.execute("set transaction read only")
            rows = db.execute(sql).fetchall() if sql.strip() else []
            db.rollback()
    except psycopg.Error as exc:
        return 400, {"message": f"Failed to run sql query: {str(exc).splitlines()[0]}"}
    return 201, [{key: _json_value(value) for key, value in row.items()} for row in rows]


def _json_value(value: Any) -> Any:
    """As the live API serializes PostgreSQL values: numerics as numbers, times as ISO strings."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value
