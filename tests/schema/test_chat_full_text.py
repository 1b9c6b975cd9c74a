"""The chat's full-text fallback (public.match_document_chunks_full_text, migration 20261207190800): it finds the
same chunks the caller could read before, and reads only theirs: the read policy is tested on the caller's readable
chunks, not on every user's (the query it replaces tested it, and parsed the text, on every chunk in the table)."""

from __future__ import annotations

import uuid

import psycopg

from ops.localdb import LocalDatabase
from ops.localdb.server import BOOTSTRAP_SUPERUSER
from tests.schema.sessions import as_role, new_user
from tests.schema.world import insert, vector

OTHER_USERS = 30
CHUNKS_PER_STRANGER = 20
QUESTION = "boiler service"
# What the fallback ran before: the caller's view of the result, under row-level security.
EVERY_READABLE_MATCH = """
    select e.document_id, e.content
    from public.document_embeddings e join public.documents d on d.id = e.document_id
    where to_tsvector('english', e.content) @@ websearch_to_tsquery('english', %s)
"""


def add_document(conn: psycopg.Connection, owner: str, title: str, chunks: int, text: str) -> str:
    document = insert(
        conn, "documents", user_id=owner, title=title, file_name="f.pdf", file_path=f"{owner}/{uuid.uuid4()}.pdf"
    )
    conn.execute(
        "insert into public.document_embeddings (document_id, chunk_index, content, embedding) "
        "select %s, n, %s || ' ' || n, %s::extensions.vector from generate_series(0, %s) n",
        (document, text, vector(1.0), chunks - 1),
    )
    return document


def policy_calls(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "select pg_stat_get_xact_function_calls('private.is_document_shared_with_me(uuid)'::regprocedure)"
    ).fetchone()
    return int(row[0] or 0) if row else 0


def test_the_fallback_reads_the_callers_chunks_only_and_finds_what_they_may_read(
    pg_cluster: LocalDatabase, schema_url: str
):
    dbname = psycopg.conninfo.conninfo_to_dict(schema_url)["dbname"]
    with psycopg.connect(pg_cluster.url(user=BOOTSTRAP_SUPERUSER, dbname=str(dbname))) as conn:
        conn.execute("begin")
        try:
            caller, sharer = new_user(conn), new_user(conn)
            own = add_document(conn, caller, "Boiler", 4, "boiler service every twelve months")
            add_document(conn, caller, "Diary", 3, "nothing about heating")
            shared = add_document(conn, sharer, "Boiler manual", 3, "boiler service by an engineer")
            unshared = add_document(conn, sharer, "Boiler invoice", 3, "boiler service invoice")
            vault = insert(conn, "family_vaults", owner_id=sharer, name="Family")
            insert(conn, "family_members", vault_id=vault, user_id=caller)
            insert(conn, "family_vault_documents", vault_id=vault, document_id=shared, shared_by=sharer)
            strangers = [new_user(conn) for _ in range(OTHER_USERS)]
            stranger_document = ""
            for stranger in strangers:
                stranger_document = add_document(conn, stranger, "Boiler", CHUNKS_PER_STRANGER, "boiler service")
            conn.execute("analyze public.document_embeddings")
            conn.execute("analyze public.documents")
            conn.execute("set local track_functions = 'all'")
            with as_role(conn, "authenticated", caller):
                expected = set(conn.execute(EVERY_READABLE_MATCH, (QUESTION,)).fetchall())
                before = policy_calls(conn)
                found = conn.execute(
                    "select document_id, content from public.match_document_chunks_full_text(%s, null, 20)",
                    (QUESTION,),
                ).fetchall()
                calls = policy_calls(conn) - before
                one_document = conn.execute(
                    "select document_id from public.match_document_chunks_full_text(%s, %s, 20)", (QUESTION, shared)
                ).fetchall()
                someone_elses = conn.execute(
                    "select document_id from public.match_document_chunks_full_text(%s, %s, 20)",
                    (QUESTION, stranger_document),
                ).fetchall()
                limited = conn.execute(
                    "select document_id from public.match_document_chunks_full_text(%s, null, 2)", (QUESTION,)
                ).fetchall()
        finally:
            conn.rollback()
    assert {row[0] for row in expected} == {uuid.UUID(own), uuid.UUID(shared)}, "the reference saw other rows"
    assert set(found) == expected and len(found) == len(expected) == 7
    assert unshared not in {str(row[0]) for row in found}
    assert {row[0] for row in one_document} == {uuid.UUID(shared)} and len(one_document) == 3
    assert someone_elses == [], "another user's document must give nothing"
    assert len(limited) == 2
    # The caller can read 10 chunks (7 of them their own, which the policy passes without the call). The query
    # this replaces made the call on every other user's document (35 calls here, 4 now), or chunk, as planned.
    readable_chunks = 4 + 3 + 3
    assert calls <= readable_chunks, f"the read policy was tested {calls} times for {readable_chunks} chunks"
