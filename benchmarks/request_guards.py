"""What the request guards cost the database: `python benchmarks/request_guards.py [--calls N]`.

On one embedded PostgreSQL with every migration, as the signed-in user an edge function acts as, prints per call:
  1. private.check_rate_limit (known actions only) against the same function without the action check,
     created in this run from its own definition (the baseline);
  2. private.ai_model_allowance, the tier lookup each chat request adds, against a plain `select 1` round trip;
  3. inserting a user's message under the new policy and time-stamping trigger against the same inserts as
     service_role, which skips both (the baseline).
Ratios compare figures from the same process and server: the median of rounds that alternate between the two, so
another load on the machine slows both alike. Takes about 20 seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
ROUNDS = 5
ACTION_CHECK = """  if not exists (select 1 from private.rate_limit_actions a where a.action = p_action) then"""


def act_as(conn: psycopg.Connection, role: str, user: str | None) -> None:
    claims = {"role": role, **({"sub": user} if user else {})}
    conn.execute(f"set role {role}")
    conn.execute("select set_config('request.jwt.claims', %s, false)", (json.dumps(claims),))


def per_call_ms(conn: psycopg.Connection, calls: int, statement: str, params: Callable[[int], tuple]) -> float:
    with conn.transaction(force_rollback=True):
        started = time.perf_counter()
        for n in range(calls):
            conn.execute(statement, params(n))
        return (time.perf_counter() - started) * 1000 / calls


Timed = tuple[str, str, Callable[[int], tuple]]  # the role to act as, the statement, its parameters per call


def compare(conn: psycopg.Connection, user: str, calls: int, measured: Timed, baseline: Timed) -> tuple[float, float]:
    """Median per-call times of the two, in alternating rounds, so a busy machine slows both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for spent, (role, statement, params) in zip(times, (measured, baseline), strict=True):
            act_as(conn, role, user if role == "authenticated" else None)
            spent.append(per_call_ms(conn, calls // ROUNDS, statement, params))
    return statistics.median(times[0]), statistics.median(times[1])


def unchecked_rate_limit(conn: psycopg.Connection) -> None:
    """The baseline: private.check_rate_limit's own definition without the known-action check."""
    definition = conn.execute(
        "select pg_get_functiondef('private.check_rate_limit(uuid, text)'::regprocedure)"
    ).fetchone()[0]
    start = definition.index(ACTION_CHECK)
    end = definition.index("end if;", start) + len("end if;")
    baseline = (definition[:start] + definition[end:]).replace(
        "private.check_rate_limit", "private.bench_rate_limit_unchecked", 1
    )
    conn.execute(baseline)
    conn.execute("grant execute on function private.bench_rate_limit_unchecked(uuid, text) to authenticated")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-guards-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        url = cluster.create_database("bench_guards")
        dbmigrate.apply(url, MIGRATIONS)
        with psycopg.connect(url, autocommit=True) as conn:
            unchecked_rate_limit(conn)
            user = str(uuid.uuid4())
            conn.execute("insert into auth.users (id, email) values (%s, 'bench@example.test')", (user,))
            conn.execute("update public.profiles set subscription_tier = 'business' where id = %s", (user,))
            conversation = conn.execute(
                "insert into public.conversations (user_id) values (%s) returning id", (user,)
            ).fetchone()[0]
            # Rate limits: as many calls as the business tier allows, so every call is counted and written.
            calls = min(calls, 5000)

            def by_user(n: int) -> tuple:
                return (user,)

            checked, unchecked = compare(
                conn,
                user,
                calls,
                ("authenticated", "select * from private.check_rate_limit(%s, 'ai-chat-message')", by_user),
                ("authenticated", "select * from private.bench_rate_limit_unchecked(%s, 'ai-chat-message')", by_user),
            )
            allowance, round_trip = compare(
                conn,
                user,
                calls,
                ("authenticated", "select * from private.ai_model_allowance(%s, 'openai', 'gpt-4o')", by_user),
                ("authenticated", "select 1 where %s::uuid is not null", by_user),
            )
            insert = "insert into public.messages (conversation_id, user_id, role, content) values (%s, %s, 'user', %s)"

            def message(n: int) -> tuple:
                return (conversation, user, f"message {n}")

            guarded, unguarded = compare(
                conn, user, calls, ("authenticated", insert, message), ("service_role", insert, message)
            )
        print(f"{calls} calls each, in {ROUNDS} alternating rounds; median per call:")
        print(
            f"  check_rate_limit, known actions only  {checked:.3f} ms   without the check {unchecked:.3f} ms"
            f"   ratio {checked / unchecked:.2f}"
        )
        print(
            f"  ai_model_allowance                    {allowance:.3f} ms   select 1 round trip {round_trip:.3f} ms"
            f"   ratio {allowance / round_trip:.2f}"
        )
        print(
            f"  user message insert (policy, trigger) {guarded:.3f} ms   as service_role {unguarded:.3f} ms"
            f"   ratio {guarded / unguarded:.2f}"
        )
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
