"""Search at scale with the schema's HNSW index: `.venv/bin/python benchmarks/search_scale.py --chunks 1000000`.

On an embedded PostgreSQL with every migration, loads CHUNKS chunks of 1536 dimensions into
public.document_embeddings (one business-tier user, 100 chunks per document), drops the schema's HNSW index before
the load and builds it again from its own definition afterwards (as a restore or a reindex would), then prints:
- the load's and the index build's times, rows per second and the index's size;
- recall@10 of the index against exact search for a sample of queries, at several hnsw.ef_search values;
- search_documents_page (the search function, as the signed-in user under row-level security) p50/p95 against the
  bare nearest-chunks SQL query on the same index (the baseline), alternating in the same process.

The vectors are not uniform noise, on which an HNSW graph has no neighbourhoods to find and no real embedding looks
like: they are a random projection of a 24-dimensional latent (1,000 clusters with spread) into 1536 dimensions
plus a little noise, normalised, which gives text embeddings' low intrinsic dimension. The exact nearest neighbours
of the sampled queries are computed in numpy while the rows are generated, and checked against PostgreSQL's own
exact search (index off) for a few queries. Rows go in by binary COPY, 10,000 at a time.

--maintenance-work-mem and --parallel-workers are the build's settings (the graph must fit in the first or the
build slows down many times); --ef-search lists the values whose recall is measured.
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

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port

MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
DIMENSIONS = 1536
LATENT = 24
CLUSTERS = 1000
CHUNKS_PER_DOCUMENT = 100
BATCH = 10_000
MODEL = "text-embedding-3-small"
WORDS = [
    "passport",
    "insurance",
    "invoice",
    "tax",
    "lease",
    "medical",
    "school",
    "bank",
    "warranty",
    "visa",
    "pension",
    "receipt",
]
# The search function reads limit * 8 nearest chunks (p_limit 11 for a page of 10 plus one, as search-engine asks).
PAGE_LIMIT = 11
NEAREST = PAGE_LIMIT * 8


class VectorSource:
    """Seeded embeddings-like vectors: cluster centre + spread in a small latent space, projected and normalised."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.centres = self.rng.standard_normal((CLUSTERS, LATENT)).astype(np.float32)
        self.projection = self.rng.standard_normal((LATENT, DIMENSIONS)).astype(np.float32) / np.sqrt(LATENT)

    def take(self, count: int) -> np.ndarray:
        latent = self.centres[self.rng.integers(0, CLUSTERS, count)]
        latent += 0.6 * self.rng.standard_normal((count, LATENT), dtype=np.float32)
        vectors = latent @ self.projection
        vectors += 0.05 * self.rng.standard_normal((count, DIMENSIONS), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


class ExactNeighbours:
    """The exact 10 nearest rows (cosine distance) of each sample query, kept up to date batch by batch."""

    def __init__(self, queries: np.ndarray, k: int = 10) -> None:
        self.queries = queries
        self.k = k
        self.distances = np.full((len(queries), 0), np.inf, dtype=np.float32)
        self.rows = np.zeros((len(queries), 0), dtype=np.int64)

    def add(self, vectors: np.ndarray, first_row: int) -> None:
        distances = 1.0 - self.queries @ vectors.T  # both sides are unit vectors
        rows = np.broadcast_to(np.arange(first_row, first_row + len(vectors)), distances.shape)
        merged_d = np.concatenate([self.distances, distances], axis=1)
        merged_r = np.concatenate([self.rows, rows], axis=1)
        keep = np.argsort(merged_d, axis=1)[:, : self.k]
        self.distances = np.take_along_axis(merged_d, keep, axis=1)
        self.rows = np.take_along_axis(merged_r, keep, axis=1)


def vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{value:.7g}" for value in vector) + "]"


def copy_rows(documents: list[uuid.UUID], vectors: np.ndarray, first_row: int) -> bytes:
    """The rows (document_id, chunk_index, content, embedding) in COPY's binary format, built by numpy.

    content is fixed-width ("chunk 0000123" padded) so the whole batch is one structured array; the embedding is
    pgvector's binary form (int16 dimensions, int16 unused, float4 values, big-endian)."""
    count = len(vectors)
    content_width = 14
    row = np.dtype(
        [
            ("fields", ">i2"),
            ("document_length", ">i4"),
            ("document", "V16"),
            ("index_length", ">i4"),
            ("index", ">i4"),
            ("content_length", ">i4"),
            ("content", f"S{content_width}"),
            ("embedding_length", ">i4"),
            ("dimensions", ">i2"),
            ("unused", ">i2"),
            ("values", ">f4", (DIMENSIONS,)),
        ]
    )
    rows = np.zeros(count, dtype=row)
    numbers = np.arange(first_row, first_row + count)
    rows["fields"] = 4
    rows["document_length"] = 16
    rows["document"] = [documents[n // CHUNKS_PER_DOCUMENT].bytes for n in numbers]
    rows["index_length"] = 4
    rows["index"] = numbers % CHUNKS_PER_DOCUMENT
    rows["content_length"] = content_width
    rows["content"] = [f"chunk {n:08d}".encode() for n in numbers]
    rows["embedding_length"] = 4 + 4 * DIMENSIONS
    rows["dimensions"] = DIMENSIONS
    rows["values"] = vectors
    return rows.tobytes()


def seed_user_and_documents(conn: psycopg.Connection, chunks: int) -> tuple[str, list[uuid.UUID]]:
    user = str(uuid.uuid4())
    conn.execute("insert into auth.users (id, email) values (%s, 'search-scale@example.test')", (user,))
    conn.execute(
        "select private.apply_subscription_event('razorpay', 'order_search_scale', %s, 'business', 'active', now(), "
        "null, now(), now() + interval '1 month', now() + interval '1 month')",
        (user,),
    )
    count = -(-chunks // CHUNKS_PER_DOCUMENT)
    words = "array[" + ",".join(f"'{word}'" for word in WORDS) + "]"
    rows = conn.execute(
        f"""
        insert into public.documents (user_id, title, file_name, file_path, mime_type, file_size, status,
                                      extracted_text)
        select %(user)s::uuid, ({words})[1 + n %% 12] || ' ' || n, 'f.pdf', %(user)s::text || '/scale/' || n || '.pdf',
               'application/pdf', 1, 'completed',
               ({words})[1 + n %% 12] || ' ' || ({words})[1 + (n / 12) %% 12] || ' record ' || n
        from generate_series(0, %(last)s) n
        order by n
        returning id""",
        {"user": user, "last": count - 1},
    ).fetchall()
    return user, [row[0] for row in rows]


def load(conn: psycopg.Connection, documents: list[uuid.UUID], chunks: int, exact: ExactNeighbours) -> float:
    source = VectorSource()
    started = time.monotonic()
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    with conn.cursor() as cursor:
        for first in range(0, chunks, BATCH):
            vectors = source.take(min(BATCH, chunks - first))
            exact.add(vectors, first)
            with cursor.copy(
                "copy public.document_embeddings (document_id, chunk_index, content, embedding) "
                "from stdin (format binary)"
            ) as copy:
                copy.write(header + copy_rows(documents, vectors, first) + (-1).to_bytes(2, "big", signed=True))
            if first // BATCH % 10 == 9:
                print(f"  loaded {first + BATCH:,} rows in {time.monotonic() - started:.0f} s", flush=True)
    return time.monotonic() - started


def chunk_rows(conn: psycopg.Connection) -> dict[uuid.UUID, int]:
    """The generated row number of each chunk (document order and chunk_index)."""
    rows = conn.execute(
        "select e.id, d.n * %s + e.chunk_index from public.document_embeddings e join "
        "(select id, (row_number() over (order by split_part(split_part(file_path, '/scale/', 2), '.', 1)::int)) - 1 "
        "as n from public.documents) d on d.id = e.document_id",
        (CHUNKS_PER_DOCUMENT,),
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def nearest(conn: psycopg.Connection, query: str, ef_search: int | None, k: int = 10) -> list[uuid.UUID]:
    with conn.transaction():
        if ef_search is None:  # exact: no index
            conn.execute("set local enable_indexscan = off")
            conn.execute("set local max_parallel_workers_per_gather = 0")
        else:
            conn.execute(f"set local hnsw.ef_search = {int(ef_search)}")
        rows = conn.execute(
            "select id from public.document_embeddings order by embedding operator(extensions.<=>) %s::extensions.vector "
            "limit %s",
            (query, k),
        ).fetchall()
    return [row[0] for row in rows]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(conn: psycopg.Connection, statements: list[tuple[str, tuple]]) -> float:
    started = time.perf_counter()
    with conn.transaction():
        for sql, params in statements:
            cursor = conn.execute(sql, params)
            if cursor.description:
                cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def latency(conn: psycopg.Connection, user: str, queries: list[str], rounds: int) -> dict[str, list[float]]:
    """Per round, the search function as the signed-in user and the bare nearest-chunks query, in alternating order."""
    claims = f'{{"sub": "{user}", "role": "authenticated"}}'
    as_user = (
        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
        (claims,),
    )
    figures: dict[str, list[float]] = {"function": [], "bare": []}
    for n in range(rounds):
        query = queries[n % len(queries)]
        word = WORDS[n % len(WORDS)]
        search = [
            as_user,
            (
                "select * from public.search_documents_page(%s, %s::extensions.vector, %s, %s)",
                (word, query, MODEL, PAGE_LIMIT),
            ),
        ]
        bare = [
            ("set local hnsw.ef_search = 100", ()),  # the function's own setting
            (
                "select document_id, embedding operator(extensions.<=>) %s::extensions.vector as distance "
                "from public.document_embeddings order by embedding operator(extensions.<=>) %s::extensions.vector "
                "limit %s",
                (query, query, NEAREST),
            ),
        ]
        pair = [("function", search), ("bare", bare)]
        for name, statements in pair if n % 2 else reversed(pair):
            figures[name].append(timed(conn, statements))
    return figures


def one(conn: psycopg.Connection, sql: str, params: tuple = ()) -> tuple:
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise SystemExit(f"no row from: {sql}")
    return row


def build_index(conn: psycopg.Connection, definition: str, name: str, args: argparse.Namespace) -> None:
    """The schema's index again, from its own definition, with the build's settings; prints its time and size."""
    # pgvector says when the graph outgrew maintenance_work_mem (a NOTICE to the client, not the log).
    notices: list[str] = []
    conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    conn.execute(f"set maintenance_work_mem = '{args.maintenance_work_mem}'")
    conn.execute(f"set max_parallel_maintenance_workers = {int(args.parallel_workers)}")
    started = time.monotonic()
    conn.execute(definition)
    seconds = time.monotonic() - started
    size = one(conn, "select pg_size_pretty(pg_relation_size(%s::regclass))", (name,))[0]
    table = one(conn, "select pg_size_pretty(pg_total_relation_size('public.document_embeddings'))")[0]
    print(
        f"HNSW build ({definition.split(' USING ')[1]}; maintenance_work_mem {args.maintenance_work_mem}, "
        f"{args.parallel_workers} parallel workers): {seconds:.0f} s ({args.chunks / seconds:,.0f} rows/s), "
        f"index {size}, table {table}"
    )
    for notice in notices:
        print(f"  server: {notice}")


def recall(conn: psycopg.Connection, literals: list[str], exact: ExactNeighbours, args: argparse.Namespace) -> None:
    """recall@10 per hnsw.ef_search value, after checking numpy's exact neighbours against PostgreSQL's own."""
    rows = chunk_rows(conn)
    for n in range(min(args.exact_checks, len(literals))):
        found = [rows[row] for row in nearest(conn, literals[n], None)]
        agree = len(set(found) & set(exact.rows[n].tolist()))
        print(f"  exact check {n}: PostgreSQL's exact scan and numpy agree on {agree}/10")
    for ef_search in (int(value) for value in args.ef_search.split(",")):
        hits = [
            len({rows[row] for row in nearest(conn, literal, ef_search)} & set(exact.rows[n].tolist()))
            for n, literal in enumerate(literals)
        ]
        print(f"recall@10 at hnsw.ef_search {ef_search}: {sum(hits) / (10 * len(hits)):.3f} over {len(hits)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50, help="sample queries for recall and latency")
    parser.add_argument("--rounds", type=int, default=400, help="timed searches of each kind")
    parser.add_argument("--ef-search", default="40,100,200", help="hnsw.ef_search values whose recall is measured")
    parser.add_argument("--maintenance-work-mem", default="1GB")
    parser.add_argument("--parallel-workers", type=int, default=1, help="max_parallel_maintenance_workers")
    parser.add_argument("--exact-checks", type=int, default=3, help="queries checked against PostgreSQL's exact scan")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-search-scale-"))
    cluster = LocalDatabase(workdir / "pg", free_tcp_port())
    cluster.init()
    try:
        url = cluster.create_database("bench_search")
        dbmigrate.apply(url, MIGRATIONS)
        with psycopg.connect(url, autocommit=True) as conn:
            name, definition = one(
                conn, "select indexname, indexdef from pg_indexes where indexname = 'idx_document_embeddings_hnsw'"
            )
            conn.execute(f"drop index public.{name}")
            user, documents = seed_user_and_documents(conn, args.chunks)
            queries = VectorSource(seed=99).take(args.queries)
            exact = ExactNeighbours(queries)
            load_seconds = load(conn, documents, args.chunks, exact)
            conn.execute("analyze public.document_embeddings")
            print(f"load: {args.chunks:,} rows in {load_seconds:.0f} s ({args.chunks / load_seconds:,.0f} rows/s)")
            build_index(conn, definition, name, args)
            literals = [vector_literal(query) for query in queries]
            recall(conn, literals, exact, args)
            figures = latency(conn, user, literals, args.rounds)
            bare_p95 = percentile(figures["bare"], 0.95)
            for kind, label in (("bare", "bare nearest-chunks SQL (baseline)"), ("function", "search_documents_page")):
                values = figures[kind]
                p95 = percentile(values, 0.95)
                print(
                    f"{label:<36} p50 {statistics.median(values):7.1f} ms  p95 {p95:7.1f} ms  "
                    f"p95/baseline {p95 / bare_p95:.2f}x"
                )
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
