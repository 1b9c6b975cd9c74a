"""The data lifecycle jobs at scale, on one embedded PostgreSQL with every migration and the Storage stand-in of
the tests (it removes storage.objects rows as Storage does).

Prints time, Storage API calls and the job's peak Python memory (tracemalloc), each against a baseline run of
the same job in the same process at 1/100 of the size:
- the storage sweep over 100,000 objects (half of them orphans) in the documents bucket, baseline 1,000: the
  time per object should stay flat (target ratio <= 2: the sweep pages through the bucket by name, it never
  loads it whole) and the peak memory should not grow with the bucket (one page of names);
- the erasure of an account with 10,000 documents (each with its file and one thumbnail: 20,000 objects),
  baseline 100 documents: time per document flat (target <= 2), Storage calls one per 1,000 objects of a bucket.
Peak memory is bounded by the batch (1,000 names), not by the data: the baselines' batches are smaller than
1,000, which is why the ratio is above 1 while the data grew 100 times.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.lifecycle.account import delete_account
from ops.lifecycle.payments import PaymentProviders
from ops.lifecycle.storage_api import StorageApi
from ops.lifecycle.sweep import sweep
from ops.localdb import LocalDatabase, free_tcp_port
from tests.lifecycle.storage_standin import SERVICE_KEY, storage_standin

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
METADATA = """jsonb_build_object('size', 1000, 'mimetype', 'application/pdf')"""


def prepare(url: str) -> None:
    dbmigrate.apply(url, MIGRATIONS)
    with psycopg.connect(url, autocommit=True) as conn:
        for bucket in ("documents", "thumbnails"):
            conn.execute("insert into storage.buckets (id, name) values (%s, %s)", (bucket, bucket))


def new_user(conn: psycopg.Connection) -> str:
    user = str(uuid.uuid4())
    conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"{user[:8]}@example.test"))
    conn.execute("update public.profiles set storage_limit = 1099511627776 where id = %s", (user,))
    return user


def seed_bucket(url: str, objects: int) -> None:
    """`objects` documents objects over 100 users: even ones owned by a document row, odd ones orphans."""
    with psycopg.connect(url, autocommit=True) as conn:
        users = [new_user(conn) for _ in range(100)]
        conn.execute(
            f"""
            insert into storage.objects (bucket_id, name, metadata, created_at)
            select 'documents', (%(users)s::uuid[])[1 + n %% 100] || '/o' || n || '/f.pdf', {METADATA},
                   now() - interval '2 days'
            from generate_series(1, %(n)s) n""",
            {"users": users, "n": objects},
        )
        conn.execute(
            """
            insert into public.documents (user_id, title, file_name, file_path, file_size, status)
            select (%(users)s::uuid[])[1 + n %% 100], 'd', 'f.pdf',
                   (%(users)s::uuid[])[1 + n %% 100] || '/o' || n || '/f.pdf', 1000, 'completed'
            from generate_series(2, %(n)s, 2) n""",
            {"users": users, "n": objects},
        )
        conn.execute("analyze")


def seed_account(url: str, documents: int) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        user = new_user(conn)
        conn.execute(
            f"""
            insert into storage.objects (bucket_id, name, metadata)
            select 'documents', %(u)s::text || '/d' || n || '/f.pdf', {METADATA} from generate_series(1, %(n)s) n
            union all
            select 'thumbnails', %(u)s::text || '/d' || n || '/f.pdf/256.webp', {METADATA}
            from generate_series(1, %(n)s) n
        """,
            {"u": user, "n": documents},
        )
        conn.execute(
            """
            insert into public.documents (user_id, title, file_name, file_path, file_size, status)
            select %(u)s::uuid, 'd', 'f.pdf', %(u)s::text || '/d' || n || '/f.pdf', 1000, 'completed'
            from generate_series(1, %(n)s) n""",
            {"u": user, "n": documents},
        )
        conn.execute("analyze")
    return user


def measure(job: Callable[[StorageApi], Any], url: str) -> tuple[float, int, int]:
    """(seconds, Storage calls, peak bytes allocated by the job in this process)."""
    with storage_standin(url) as standin:
        standin.record_removed = False  # the stand-in shares this process: its bookkeeping is not the job's memory
        api = StorageApi(standin.url, SERVICE_KEY)
        tracemalloc.start()
        started = time.perf_counter()
        job(api)
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return seconds, api.calls, peak


def report(what: str, unit: str, big: tuple[float, int, int], small: tuple[float, int, int], scale: int) -> None:
    (bt, bc, bm), (st, sc, sm) = big, small
    print(f"{what}")
    print(f"  time   {bt:8.2f} s vs {st:6.3f} s baseline; per {unit} ratio {bt / scale / st:5.2f} (target <= 2)")
    print(f"  calls  {bc:8d}   vs {sc:6d}   baseline (Storage DELETE calls, 1,000 names each)")
    print(
        f"  memory {bm / 2**20:8.2f} MiB vs {sm / 2**20:6.2f} MiB baseline; ratio {bm / sm:5.2f} "
        f"(the data grew {scale}x)"
    )


def main() -> None:
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        urls = {name: cluster.create_database(name) for name in ("sweep_big", "sweep_small", "acct_big", "acct_small")}
        for url in urls.values():
            prepare(url)
        seed_bucket(urls["sweep_big"], 100_000)
        seed_bucket(urls["sweep_small"], 1_000)
        big = measure(lambda api: sweep(urls["sweep_big"], api), urls["sweep_big"])
        small = measure(lambda api: sweep(urls["sweep_small"], api), urls["sweep_small"])
        report("storage sweep, 100,000 objects (50,000 orphans) vs 1,000", "object", big, small, 100)
        users = {
            "acct_big": seed_account(urls["acct_big"], 10_000),
            "acct_small": seed_account(urls["acct_small"], 100),
        }

        def erase(name: str) -> Callable[[StorageApi], Any]:
            return lambda api: delete_account(urls[name], api, PaymentProviders(), uuid.UUID(users[name]))

        big = measure(erase("acct_big"), urls["acct_big"])
        small = measure(erase("acct_small"), urls["acct_small"])
        report("account erasure, 10,000 documents (20,000 objects) vs 100", "document", big, small, 100)
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
