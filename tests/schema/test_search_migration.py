"""The filtered search's migration applies on its own, in a session that has not used pgvector yet (as a deploy
that only brings this file does), and the search reads the nearest chunks from the HNSW index."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR

SEARCH_MIGRATION = "20261201200100"


def test_search_migration_applies_in_a_fresh_session(fresh_db: str, tmp_path: Path):
    before = tmp_path / "before"
    before.mkdir()
    for file in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if file.name < SEARCH_MIGRATION:
            shutil.copy(file, before / file.name)
    dbmigrate.apply(fresh_db, before)
    # A new connection: pgvector's library is not loaded, its hnsw.* settings are still placeholders.
    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    with psycopg.connect(fresh_db) as conn:
        config = conn.execute("select proconfig from pg_proc where proname = 'search_documents_page'").fetchone()
    assert config is not None and "enable_seqscan=off" in config[0]
    assert "hnsw.iterative_scan=relaxed_order" in config[0]


def test_the_nearest_chunks_come_from_the_hnsw_index(db):
    db.execute("set local enable_seqscan = off")
    db.execute("set local hnsw.iterative_scan = relaxed_order")
    plan = "\n".join(
        row[0]
        for row in db.execute(
            "explain select document_id from document_embeddings where model = 'm' "
            "order by embedding operator(extensions.<=>) (select embedding from document_embeddings limit 1) "
            "limit (10 + 0) * 8"
        )
    )
    assert "idx_document_embeddings_hnsw" in plan, plan
