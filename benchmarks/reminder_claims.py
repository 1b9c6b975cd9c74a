"""reminder-engine's claim (private.claim_due_reminders) on one embedded PostgreSQL with every migration.

Prints, as medians of several rounds:
- claiming a batch of 100 due reminders from a table of 100,000 reminders (mostly not due: future, sent, done)
  against the same claim on a table holding only the due ones (the baseline): the ratio says whether the claim
  costs what is due (the partial index) or what is stored (target <= 2);
- four connections claiming at once from 2,000 due reminders: reminders claimed twice (must be 0) and the
  throughput against one connection claiming alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
ROUNDS = 7
BATCH = 100
CLAIM = "select id from private.claim_due_reminders(%s, 300, 1000, 1000)"


def seed(url: str, due: int, not_due: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "insert into auth.users (id, email, email_confirmed_at) "
            "select gen_random_uuid(), 'bench' || n || '@example.test', now() from generate_series(1, 50) n"
        )
        users = "(select array_agg(id) from public.profiles)"
        # 50 users with 2,000 reminders each would pass the 500-active cap, which guards users, not this seed.
        # The not-due rows are future, completed or sent: what a long-lived table mostly holds.
        conn.execute("alter table public.reminders disable trigger reminders_limit_active")
        conn.execute(
            f"""
            insert into public.reminders (user_id, title, remind_at, channel, is_completed, delivery_status)
            select ({users})[1 + n %% 50], 'r' || n,
                   case n %% 3 when 0 then now() + interval '30 days' else now() - interval '3 days' end,
                   'email', n %% 3 = 1, case n %% 3 when 2 then 'sent' else 'pending' end
            from generate_series(1, %s) n""",
            (not_due,),
        )
        conn.execute(
            f"""
            insert into public.reminders (user_id, title, remind_at, channel)
            select ({users})[1 + n %% 50], 'due' || n, now() - interval '1 minute', 'email'
            from generate_series(1, %s) n""",
            (due,),
        )
        conn.execute("alter table public.reminders enable trigger reminders_limit_active")
        conn.execute("analyze public.reminders")


def release_all(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "update public.reminders set delivery_status = 'pending', claim_id = null, claimed_until = null,"
            " delivery_attempts = 0 where delivery_status = 'sending'"
        )


def time_claim(url: str) -> float:
    times = []
    for _ in range(ROUNDS):
        release_all(url)
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            rows = conn.execute(CLAIM, (BATCH,)).fetchall()
            times.append(time.perf_counter() - started)
            assert len(rows) == BATCH, f"claimed {len(rows)} of {BATCH}"
    return statistics.median(times)


def drain(url: str, workers: int) -> tuple[float, list[str]]:
    """All due reminders claimed by `workers` connections at once; returns the time and every id claimed."""
    release_all(url)
    claimed: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while rows := conn.execute(CLAIM, (BATCH,)).fetchall():
                with lock:
                    claimed.extend(str(row[0]) for row in rows)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, claimed


def main() -> None:
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        big, small, race = (cluster.create_database(name) for name in ("big", "small", "race"))
        for url in (big, small, race):
            dbmigrate.apply(url, MIGRATIONS)
        seed(big, due=1000, not_due=100_000)
        seed(small, due=1000, not_due=0)
        seed(race, due=2000, not_due=0)
        big_time, small_time = time_claim(big), time_claim(small)
        print(f"claim {BATCH} of 1,000 due among 101,000 reminders (median): {big_time * 1000:7.2f} ms")
        print(f"claim {BATCH} of 1,000 due among   1,000 reminders (median): {small_time * 1000:7.2f} ms  (baseline)")
        print(
            f"ratio big table / due-only table:                           {big_time / small_time:7.2f}  (target <= 2)"
        )
        alone, ids_alone = drain(race, 1)
        together, ids = drain(race, 4)
        twice = len(ids) - len(set(ids))
        print(f"2,000 due, 1 connection:  {len(ids_alone)} claimed in {alone * 1000:7.1f} ms")
        print(
            f"2,000 due, 4 connections: {len(ids)} claimed in {together * 1000:7.1f} ms, "
            f"claimed twice: {twice} (must be 0)"
        )
        print(f"throughput 4 connections / 1 connection: {alone / together:7.2f}")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
