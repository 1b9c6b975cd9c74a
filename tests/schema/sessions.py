"""Acting as a PostgREST request would: a role and JWT claims set for one transaction (or savepoint)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


def new_user(conn: psycopg.Connection, email: str | None = None, tier: str | None = None) -> str:
    """An auth.users row (its profile comes from the signup trigger); returns the id."""
    user_id = str(uuid.uuid4())
    conn.execute(
        "insert into auth.users (id, email, raw_user_meta_data) values (%s, %s, %s)",
        (user_id, email or f"{user_id[:8]}@example.test", json.dumps({"full_name": "Test User"})),
    )
    if tier:
        conn.execute("update public.profiles set subscription_tier = %s where id = %s", (tier, user_id))
    return user_id


def claims_for(role: str, user_id: str | None) -> str:
    claims: dict[str, str] = {"role": role}
    if user_id:
        claims["sub"] = user_id
    return json.dumps(claims)


@contextmanager
def acting_as(conn: psycopg.Connection, role: str, user_id: str | None = None) -> Iterator[psycopg.Connection]:
    """Runs the block as `role` (anon, authenticated, service_role) with the user's claims, inside a savepoint
    that is rolled back afterwards, so the block's writes and its role switch leave no trace."""
    conn.execute("savepoint acting_as")
    try:
        conn.execute(f"set local role {role}")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (claims_for(role, user_id),))
        yield conn
    finally:
        conn.execute("rollback to savepoint acting_as")
        conn.execute("release savepoint acting_as")


@contextmanager
def as_role(conn: psycopg.Connection, role: str, user_id: str | None = None) -> Iterator[psycopg.Connection]:
    """Like acting_as, but keeps the block's writes: the role and claims are reset afterwards."""
    conn.execute(f"set local role {role}")
    conn.execute("select set_config('request.jwt.claims', %s, true)", (claims_for(role, user_id),))
    try:
        yield conn
    finally:
        conn.execute("reset role")
        conn.execute("select set_config('request.jwt.claims', '', true)")


def visible(conn: psycopg.Connection, table: str, row_id: str) -> bool:
    return conn.execute(f"select count(*) from public.{table} where id = %s", (row_id,)).fetchone()[0] == 1
