"""Single-row answers: a query that must return one row and did not is a LifecycleError, not a TypeError."""

from __future__ import annotations

from typing import Any

import psycopg

from ops.lifecycle.errors import LifecycleError


def one_row(cursor: psycopg.Cursor[Any], what: str) -> tuple[Any, ...]:
    """The cursor's first row; `what` names the query in the error when there is none."""
    row = cursor.fetchone()
    if row is None:
        raise LifecycleError(f"the database returned no row for {what}; rerun the command")
    return tuple(row)
