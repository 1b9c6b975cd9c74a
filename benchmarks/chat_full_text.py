"""The chat's full-text fallback at scale: `.venv/bin/python benchmarks/chat_full_text.py --users 50`.

On an embedded PostgreSQL with every migration, USERS users each get DOCUMENTS documents of CHUNKS chunks of
English-like text (words drawn from a small vocabulary, so the question matches chunks of every user). Signed in as the first
user, as functions/ai-chat/retrieval.ts runs it, it times the fallback's statement before migration 20261207190800
(the baseline: a full-text match on document_embeddings under row-level security) against
public.match_document_chunks_full_text, alternating in the same process, and prints the median of each, the ratio,
and how many times each tested the read policy's private.is_document_shared_with_me.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
QUESTION = "boiler service"
WORDS = [
    "boiler", "service", "insurance", "renewal", "policy", "premium", "passport", "expiry", "council", "tax", "water",
    "damage", "claim", "invoice", "engineer", "annual", "warranty", "mortgage", "statement", "pension", "letter",
    "school", "report", "vaccination", "dentist", "appointment",
]  # fmt: skip
BASELINE = """
    select e.document_id, d.title, e.content
    from public.document_embeddings e join public.documents d on d.id = e.document_id
    where to_tsvector('english', e.content) @@ websearch_to_tsquery('english', %(q)s)
      and (%(doc)s::uuid is null or e.document_id = %(doc)s)
    order by ts_rank_cd(to_tsvector('english', e.content), websearch_to_tsquery('english', %(q)s)) desc
    limit 6
"""
FUNCTION = "select document_id, title, content from public.match_document_chunks_full_text(%(q)s, %(doc)s::uuid, 6)"


def seed(conn: psycopg.Connection, users: int, documents: int, chunks: int) -> str:
    """USERS users with DOCUMENTS documents of CHUNKS chunks of 60 words each; returns the first user's id."""
    ids = [str(uuid.uuid4()) for _ in range(users)]
    zero_but_one = "[1" + ",0" * 1535 + "]"
    for n, user in enumerate(ids):
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"chat-bench-{n}@example.test"))
        conn.execute(
            "insert into public.documents (user_id, title, file_name, file_path, status) "
            "select %s, 'Household ' || n, 'h.pdf', %s || '/' || n || '.pdf', 'completed' from generate_series(1, %s) n",
            (user, user, documents),
        )
        conn.execute(
            "insert into public.document_embeddings (document_id, chunk_index, content, embedding) "
            "select d.id, n, (select string_agg((%s::text[])[1 + floor(random() * %s)::int], ' ') "
            "from generate_series(1, 60) where n >= 0 and d.id is not null), %s::extensions.vector "
            "from public.documents d, generate_series(0, %s) n where d.user_id = %s",
            (WORDS, len(WORDS), zero_but_one, chunks - 1, user),
        )
    conn.execute("analyze")
    return ids[0]


def timed(conn: psycopg.Connection, user: str, statement: str) -> tuple[float, int, int]:
    """One fallback retrieval as the signed-in user: milliseconds, rows, and read-policy calls."""
    with conn.transaction():
        conn.execute(
            # The role last: track_functions is the superuser's to set.
            "select set_config('track_functions', 'all', true), set_config('enable_seqscan', 'off', true), "
            "set_config('request.jwt.claims', %s, true), set_config('role', 'authenticated', true)",
            (f'{{"sub": "{user}", "role": "authenticated"}}',),
        )
        before = policy_calls(conn)
        started = time.perf_counter()
        rows = conn.execute(statement, {"q": QUESTION, "doc": None}).fetchall()
        elapsed = (time.perf_counter() - started) * 1000
        calls = policy_calls(conn) - before
    return elapsed, len(rows), calls


def policy_calls(conn: psycopg.Connection) -> int:
    """This session's calls so far (the counts are flushed between transactions, not reset by each)."""
    row = conn.execute(
        "select pg_stat_get_xact_function_calls('private.is_document_shared_with_me(uuid)'::regprocedure)"
    ).fetchone()
    return int(row[0] or 0) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--documents", type=int, default=100, help="documents per user")
    parser.add_argument("--chunks", type=int, default=10, help="chunks per document")
    parser.add_argument("--rounds", type=int, default=5, help="timed retrievals of each kind")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-chat-full-text-"))
    cluster = LocalDatabase(workdir / "pg", free_tcp_port())
    cluster.init()
    try:
        url = cluster.create_database("bench_chat")
        dbmigrate.apply(url, MIGRATIONS)
        # As the superuser: counting function calls (track_functions) is a superuser setting.
        with psycopg.connect(cluster.superuser_url_for("bench_chat"), autocommit=True) as conn:
            # Not read by either statement, and costly to maintain while loading.
            conn.execute("drop index public.idx_document_embeddings_hnsw")
            started = time.perf_counter()
            user = seed(conn, args.users, args.documents, args.chunks)
            print(
                f"load: {args.users} users x {args.documents} documents x {args.chunks} chunks "
                f"in {time.perf_counter() - started:.0f} s"
            )
            figures: dict[str, list[float]] = {"baseline": [], "function": []}
            seen: dict[str, tuple[int, int]] = {}
            for _ in range(args.rounds):
                for kind, statement in (("baseline", BASELINE), ("function", FUNCTION)):
                    elapsed, rows, calls = timed(conn, user, statement)
                    figures[kind].append(elapsed)
                    seen[kind] = (rows, calls)
            base = statistics.median(figures["baseline"])
            for kind, label in (("baseline", "statement before (baseline)"), ("function", "match_document_chunks")):
                median = statistics.median(figures[kind])
                rows, calls = seen[kind]
                print(
                    f"{label:<28} median {median:9.1f} ms  {median / base:6.3f}x baseline  "
                    f"{rows} rows  {calls} read-policy calls"
                )
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
