"""What search_documents_page costs as the rows grow (migration 20261207190234):
- it reads the nearest chunks from the HNSW index on every call of a connection, not only on the first five:
  PostgreSQL's generic plan, which it switches to after five calls, cannot see the LIMIT's value and sorts every chunk
  instead (found by benchmarks/search_scale.py); the plans are read with auto_explain, which logs the function's own
  statement with each call's plan;
- it tests the read policy on the caller's documents only, not on every user's (found by `make load`)."""

from __future__ import annotations

import uuid

import psycopg

from ops.localdb import LocalDatabase
from ops.localdb.server import BOOTSTRAP_SUPERUSER

CHUNKS = 3000
CALLS = 8
OTHER_USERS = 30


def test_every_search_of_a_connection_reads_the_nearest_chunks_from_the_index(
    pg_cluster: LocalDatabase, schema_url: str
):
    dbname = psycopg.conninfo.conninfo_to_dict(schema_url)["dbname"]
    with psycopg.connect(pg_cluster.url(user=BOOTSTRAP_SUPERUSER, dbname=str(dbname))) as conn:
        plans: list[str] = []
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        conn.execute("begin")
        try:
            user = seed_chunks(conn)
            conn.execute("load 'auto_explain'")
            for setting in ("log_min_duration = 0", "log_nested_statements = on", "log_level = notice"):
                conn.execute(f"set local auto_explain.{setting}")
            # The plan every call after the fifth may get (and, before PostgreSQL 18, every call gets), at once.
            conn.execute("set local plan_cache_mode = force_generic_plan")
            conn.execute(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                (f'{{"sub": "{user}", "role": "authenticated"}}',),
            )
            query = conn.execute("select embedding::text from public.document_embeddings limit 1").fetchone()
            assert query is not None
            for _ in range(CALLS):
                rows = conn.execute(
                    "select id from public.search_documents_page('passport', %s::extensions.vector, null, 10)",
                    (query[0],),
                ).fetchall()
                assert rows, "the search found nothing"
        finally:
            conn.rollback()
    searches = [plan for plan in plans if "nearest_chunks as" in plan]
    assert len(searches) == CALLS, f"auto_explain logged {len(searches)} plans of the function's statement"
    sorted_calls = [n + 1 for n, plan in enumerate(searches) if "idx_document_embeddings_hnsw" not in plan]
    assert sorted_calls == [], (
        f"calls {sorted_calls} did not read the HNSW index:\n{searches[sorted_calls[0] - 1][-3000:]}"
    )


def seed_chunks(conn: psycopg.Connection) -> str:
    """One user's document with CHUNKS chunks of random vectors, analysed so the planner knows the table's size."""
    user = str(uuid.uuid4())
    conn.execute("insert into auth.users (id, email) values (%s, 'plans@example.test')", (user,))
    document = conn.execute(
        "insert into public.documents (user_id, title, file_name, file_path, status, extracted_text) "
        "values (%s, 'passport', 'p.pdf', %s, 'completed', 'passport renewal') returning id",
        (user, f"{user}/p.pdf"),
    ).fetchone()
    assert document is not None
    conn.execute(
        "insert into public.document_embeddings (document_id, chunk_index, content, embedding) "
        "select %s, n, 'chunk', (select array_agg(random()::real) from generate_series(1, 1536) where n >= 0)"
        "::extensions.vector from generate_series(0, %s) n",
        (document[0], CHUNKS - 1),
    )
    conn.execute("analyze public.document_embeddings")
    return user


def test_a_search_tests_the_read_policy_on_the_callers_documents_only(pg_cluster: LocalDatabase, schema_url: str):
    """The read policy's private.is_document_shared_with_me costs about a millisecond a call: a search that tested it
    on every other user's document took seconds with a few thousand of them (found by `make load`)."""
    dbname = psycopg.conninfo.conninfo_to_dict(schema_url)["dbname"]
    with psycopg.connect(pg_cluster.url(user=BOOTSTRAP_SUPERUSER, dbname=str(dbname))) as conn:
        conn.execute("begin")
        try:
            users = [str(uuid.uuid4()) for _ in range(OTHER_USERS + 1)]
            for n, user in enumerate(users):
                conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"policy-{n}@example.test"))
                conn.execute(
                    "insert into public.documents (user_id, title, file_name, file_path, status) "
                    "select %s, 'insurance water damage ' || n, 'r.pdf', %s || '/' || n || '.pdf', 'completed' "
                    "from generate_series(1, 20) n",
                    (user, user),
                )
            conn.execute("analyze public.documents")
            conn.execute("set local track_functions = 'all'")
            conn.execute(
                "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                (f'{{"sub": "{users[0]}", "role": "authenticated"}}',),
            )
            hits = conn.execute(
                "select user_id from public.search_documents_page('insurance water damage', null, null, 10)"
            ).fetchall()
            calls = conn.execute(
                "select pg_stat_get_xact_function_calls('private.is_document_shared_with_me(uuid)'::regprocedure)"
            ).fetchone()
        finally:
            conn.rollback()
    assert hits and {row[0] for row in hits} == {uuid.UUID(users[0])}, "the search must find the caller's own only"
    assert calls is not None and (calls[0] or 0) <= 20, f"the read policy was tested {calls[0]} times for 20 documents"
