"""Storage kept in step with the rows: deleted, failed and never-confirmed documents and orphan objects leave
Storage (through its API) after their grace periods, the quota drops with them, and a sweep resumes."""

from __future__ import annotations

import psycopg
import pytest

from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.queue import drain
from ops.lifecycle.storage_api import StorageApi
from ops.lifecycle.sweep import sweep
from tests.lifecycle.objects import add_document, new_user, object_names, put_object, storage_used
from tests.lifecycle.storage_standin import StorageStandIn


def test_deleting_a_document_removes_its_file_and_thumbnails_and_the_quota_drops(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        doc, path = add_document(conn, user, "d1/passport.pdf", size=4000)
        put_object(conn, "thumbnails", f"{path}/256.webp", size=300)
        put_object(conn, "thumbnails", f"{path}/1024.webp", size=700)
        _, kept = add_document(conn, user, "d2/will.pdf", size=2000)
        put_object(conn, "thumbnails", f"{kept}/256.webp", size=100)
        assert storage_used(conn, user) == 7100
        conn.execute("delete from public.documents where id = %s", (doc,))

    drain(lifecycle_db, storage_api)

    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == {kept}
        assert object_names(conn, "thumbnails") == {f"{kept}/256.webp"}
        assert storage_used(conn, user) == 2100, "the quota drops when the bytes go"
        assert conn.execute("select count(*) from private.storage_deletions").fetchone()[0] == 0
    assert sorted(storage.removed) == sorted(
        [("documents", path), ("thumbnails", f"{path}/256.webp"), ("thumbnails", f"{path}/1024.webp")]
    )


def test_failed_and_unconfirmed_documents_and_rows_without_files_go_after_their_grace(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        _, old_failed = add_document(conn, user, "f1/a.pdf", status="failed", age_hours=8 * 24)
        _, new_failed = add_document(conn, user, "f2/a.pdf", status="failed", age_hours=2 * 24)
        _, old_unconfirmed = add_document(conn, user, "u1/a.pdf", status="uploaded", age_hours=27)
        _, new_unconfirmed = add_document(conn, user, "u2/a.pdf", status="uploaded", age_hours=1)
        old_missing, _ = add_document(conn, user, "m1/a.pdf", with_object=False, age_hours=48)
        new_missing, _ = add_document(conn, user, "m2/a.pdf", with_object=False, age_hours=1)
        _, healthy = add_document(conn, user, "ok/a.pdf")

    report = sweep(lifecycle_db, storage_api)

    with psycopg.connect(lifecycle_db) as conn:
        paths = {row[0] for row in conn.execute("select file_path from public.documents")}
        assert object_names(conn, "documents") == {new_failed, new_unconfirmed, healthy}
        assert {old_failed, old_unconfirmed}.isdisjoint(paths)
        ids = {str(row[0]) for row in conn.execute("select id from public.documents")}
        assert old_missing not in ids and new_missing in ids
        assert storage_used(conn, user) == 3000
    assert +report.documents == {"failed_document": 1, "unconfirmed_upload": 1, "missing_object": 1}
    assert {name for _, name in storage.removed} >= {old_failed, old_unconfirmed}


def test_orphans_in_every_bucket_are_reported_by_a_dry_run_and_removed_after_the_grace(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user, gone = new_user(conn), new_user(conn)
        _, owned = add_document(conn, user, "d/own.pdf")
        put_object(conn, "documents", f"{user}/x/no-row.pdf", size=500)
        put_object(conn, "documents", f"{user}/x/just-uploaded.pdf", size=500, age_hours=1)
        put_object(conn, "thumbnails", f"{user}/x/no-row.pdf/256.webp", size=50)
        put_object(conn, "thumbnails", f"{owned}/256.webp", size=50)
        put_object(conn, "avatars", f"{user}/me.png", size=10)
        put_object(conn, "avatars", f"{gone}/me.png", size=10)
        put_object(conn, "ticket-attachments", "loose-file.txt", size=5)
        conn.execute("delete from auth.users where id = %s", (gone,))
        before = {b: object_names(conn, b) for b in ("documents", "thumbnails", "avatars", "ticket-attachments")}

    dry = sweep(lifecycle_db, None, dry_run=True)
    assert dry.orphans == 4 and storage.calls == 0
    assert dry.buckets["documents"].reasons == {"no_document": 1}
    assert dry.buckets["avatars"].reasons == {"owner_gone": 1}
    assert dry.buckets["ticket-attachments"].reasons == {"outside_user_folder": 1}
    with psycopg.connect(lifecycle_db) as conn:
        assert {b: object_names(conn, b) for b in before} == before, "a dry run changes nothing"

    report = sweep(lifecycle_db, storage_api)

    assert report.orphans == 4 and report.drained.removed == 4
    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == {owned, f"{user}/x/just-uploaded.pdf"}
        assert object_names(conn, "thumbnails") == {f"{owned}/256.webp"}
        assert object_names(conn, "avatars") == {f"{user}/me.png"}
        assert object_names(conn, "ticket-attachments") == set()
        counts = conn.execute("select counts from private.lifecycle_runs where task = 'storage_sweep'").fetchone()[0]
        assert counts["orphans"] == 4 and counts["objects_removed"] == 4


def test_a_sweep_stopped_by_a_storage_outage_resumes_and_removes_nothing_twice(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        orphans = [f"{user}/o/{i:03}.pdf" for i in range(9)]
        for name in orphans:
            put_object(conn, "documents", name)
        _, owned = add_document(conn, user, "d/own.pdf")

    storage.fail_after = 2
    with pytest.raises(LifecycleError, match="HTTP 500"):
        sweep(lifecycle_db, storage_api, batch_size=2)
    with psycopg.connect(lifecycle_db) as conn:
        cursor = conn.execute(
            "select after_name from private.storage_sweep_cursors where bucket_id = 'documents'"
        ).fetchone()
        assert cursor is not None, "the sweep saved where it stopped"
        assert len(object_names(conn, "documents")) > 1

    storage.fail_after = None
    sweep(lifecycle_db, storage_api, batch_size=2)

    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == {owned}
        assert conn.execute("select count(*) from private.storage_sweep_cursors").fetchone()[0] == 0
    assert sorted(name for _, name in storage.removed) == orphans, "each orphan removed once"


def test_a_key_that_is_not_canonical_is_never_sent_to_storage(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user, victim = new_user(conn), new_user(conn)
        _, victims_file = add_document(conn, victim, "v/passport.pdf")
        conn.execute(
            "insert into private.storage_deletions (bucket_id, name, reason) values ('documents', %s, 'orphan')",
            (f"{user}/../{victims_file}",),
        )

    result = drain(lifecycle_db, storage_api)

    assert result.blocked == 1 and storage.calls == 0
    with psycopg.connect(lifecycle_db) as conn:
        assert victims_file in object_names(conn, "documents")
        problem = conn.execute("select problem from private.storage_deletions").fetchone()[0]
        assert "segment" in problem
