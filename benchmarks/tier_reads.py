"""What reading the tier as it is now costs: `python benchmarks/tier_reads.py [--calls N]`.

On one embedded PostgreSQL with every migration, for a user paying through a running subscription, prints per call:
  1. private.check_rate_limit, which refreshes a lapsed profile before it reads the tier, against the same function
     without that step, created in this run from its own definition (the baseline);
  2. private.effective_tier (the AI allowance's read) against reading profiles.subscription_tier directly;
  3. private.expire_lapsed_tiers() with nothing lapsed (the schedule's run on a quiet day, 1000 paying users)
     against a plain `select 1` round trip.
Ratios compare figures from the same process and server (alternating rounds, request_guards.compare).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from benchmarks.request_guards import compare
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
REFRESH_STEP = "  if exists (select 1 from public.profiles p where p.id = p_user and p.tier_valid_until <= now()) then"
PAYING_USERS = 1000


def rate_limit_without_refresh(conn: psycopg.Connection) -> None:
    """The baseline: private.check_rate_limit's own definition without the lapsed-profile refresh."""
    definition = conn.execute(
        "select pg_get_functiondef('private.check_rate_limit(uuid, text)'::regprocedure)"
    ).fetchone()[0]
    start = definition.index(REFRESH_STEP)
    end = definition.index("end if;", start) + len("end if;")
    baseline = (definition[:start] + definition[end:]).replace(
        "private.check_rate_limit", "private.bench_rate_limit_no_refresh", 1
    )
    conn.execute(baseline)
    conn.execute("grant execute on function private.bench_rate_limit_no_refresh(uuid, text) to service_role")


def paying_user(conn: psycopg.Connection, n: int) -> str:
    user = str(uuid.uuid4())
    conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"bench-{n}@example.test"))
    conn.execute(
        "select private.apply_subscription_event('razorpay', %s, %s, 'business', 'active', now(), null, "
        "now(), now() + interval '1 month', now() + interval '1 month')",
        (f"order_bench{n:06d}", user),
    )
    return user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    calls = min(parser.parse_args().calls, 5000)  # within the business tier's hourly budget: every call is counted
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-tiers-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        url = cluster.create_database("bench_tiers")
        dbmigrate.apply(url, MIGRATIONS)
        with psycopg.connect(url, autocommit=True) as conn:
            rate_limit_without_refresh(conn)
            users = [paying_user(conn, n) for n in range(PAYING_USERS)]
            user = users[0]

            def by_user(n: int) -> tuple:
                return (user,)

            refreshed, plain = compare(
                conn,
                user,
                calls,
                ("service_role", "select * from private.check_rate_limit(%s, 'ai-chat-message')", by_user),
                ("service_role", "select * from private.bench_rate_limit_no_refresh(%s, 'ai-chat-message')", by_user),
            )
            effective, column = compare(
                conn,
                user,
                calls,
                ("service_role", "select private.effective_tier(%s)", by_user),
                ("service_role", "select subscription_tier from public.profiles where id = %s", by_user),
            )
            sweep, round_trip = compare(
                conn,
                user,
                50,
                ("service_role", "select private.expire_lapsed_tiers() where %s::uuid is not null", by_user),
                ("service_role", "select 1 where %s::uuid is not null", by_user),
            )
        print(f"{calls} calls each (the sweep: 50), in alternating rounds; median per call:")
        print(
            f"  check_rate_limit with the lapse refresh  {refreshed:.3f} ms   without {plain:.3f} ms"
            f"   ratio {refreshed / plain:.2f}"
        )
        print(
            f"  effective_tier                           {effective:.3f} ms   the column {column:.3f} ms"
            f"   ratio {effective / column:.2f}"
        )
        print(
            f"  expire_lapsed_tiers, {PAYING_USERS} paying, none lapsed {sweep:.3f} ms   select 1 {round_trip:.3f} ms"
            f"   ratio {sweep / round_trip:.2f}"
        )
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
