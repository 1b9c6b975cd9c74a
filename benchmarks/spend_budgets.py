"""What a spend reservation costs: `python benchmarks/spend_budgets.py [--calls N] [--workers N]`.

On one embedded PostgreSQL with every migration, prints:
  1. per call, private.reserve_spend (lock, sum of today's ledger, append) against private.check_rate_limit, the
     guard every request already pays (the baseline), in alternating rounds on one connection;
  2. the throughput of N connections reserving at once for ONE user and unit (they queue on its lock) against N
     connections each reserving for its own user (no queue): the price of never overshooting a budget.
Ratios compare figures from the same process and server. The business tier's budgets are raised for the run so
every call is a write. Takes about 20 seconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
ROUNDS = 5
RESERVE = "select * from private.reserve_spend(%s, 'ocr_pages', 1, 'bench')"
RATE_LIMIT = "select * from private.check_rate_limit(%s, 'document-processor')"


def new_business_user(conn: psycopg.Connection) -> str:
    user = str(uuid.uuid4())
    conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"{user[:8]}@example.test"))
    conn.execute("update public.profiles set subscription_tier = 'business' where id = %s", (user,))
    return user


def per_call_ms(conn: psycopg.Connection, calls: int, statement: str, user: str) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        conn.execute(statement, (user,))
    return (time.perf_counter() - started) * 1000 / calls


def throughput(url: str, users: list[str], calls_each: int) -> float:
    """Reservations per second of len(users) connections at once, the i-th reserving for users[i]."""
    start = threading.Barrier(len(users) + 1)

    def work(user: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            start.wait()
            for _ in range(calls_each):
                conn.execute(RESERVE, (user,))

    threads = [threading.Thread(target=work, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(users) * calls_each / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-spend-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        url = cluster.create_database("bench_spend")
        dbmigrate.apply(url, MIGRATIONS)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("update private.spend_tier_limits set daily_limit = 1000000000 where tier = 'business'")
            user = new_business_user(conn)
            calls = min(args.calls, 5000)  # the business tier's hourly request limit
            times: tuple[list[float], list[float]] = ([], [])
            for _ in range(ROUNDS):
                times[0].append(per_call_ms(conn, calls // ROUNDS, RESERVE, user))
                times[1].append(per_call_ms(conn, calls // ROUNDS, RATE_LIMIT, user))
            reserve, rate_limit = statistics.median(times[0]), statistics.median(times[1])
            shared = [new_business_user(conn)] * args.workers
            own = [new_business_user(conn) for _ in range(args.workers)]
        calls_each = max(1, args.calls // args.workers)
        one_user = throughput(url, shared, calls_each)
        many_users = throughput(url, own, calls_each)
        print(f"{calls} calls each, in {ROUNDS} alternating rounds; median per call:")
        print(
            f"  reserve_spend     {reserve:.3f} ms   check_rate_limit {rate_limit:.3f} ms   "
            f"ratio {reserve / rate_limit:.2f}"
        )
        print(f"{args.workers} connections, {calls_each} reservations each:")
        print(
            f"  one user and unit {one_user:.0f}/s   a user each {many_users:.0f}/s   ratio {one_user / many_users:.2f}"
        )
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
