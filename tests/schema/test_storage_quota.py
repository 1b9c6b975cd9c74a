"""Issue 14, hole 2: the storage quota counts the bytes Storage holds (storage.objects), not what users declare
on documents, and an object past the limit is refused in the database, whoever writes it."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.schema.sessions import acting_as, new_user
from tests.schema.world import insert

GIB = 1024**3


def _ensure_bucket(db: psycopg.Connection, bucket: str = "documents") -> None:
    db.execute("insert into storage.buckets (id, name) values (%s, %s) on conflict do nothing", (bucket, bucket))


def _store(db: psycopg.Connection, name: str, size: int, bucket: str = "documents") -> str:
    """What Storage writes once it has the bytes: the object row with the size it received."""
    _ensure_bucket(db, bucket)
    row = db.execute(
        "insert into storage.objects (bucket_id, name, metadata) values (%s, %s, %s::jsonb) returning id",
        (bucket, name, json.dumps({"size": size, "mimetype": "application/pdf"})),
    ).fetchone()
    assert row is not None
    return str(row[0])


def _used(db: psycopg.Connection, user: str) -> int:
    row = db.execute("select storage_used from profiles where id = %s", (user,)).fetchone()
    assert row is not None
    return int(row[0])


def test_objects_in_storage_count_against_the_quota(db):
    user = new_user(db)
    _store(db, f"{user}/a.pdf", 700)
    _store(db, f"{user}/b.png", 300, bucket="ticket-attachments")
    assert _used(db, user) == 1000, "every byte in the user's folder counts, in every bucket"


def test_two_gib_stored_against_a_one_gib_limit_is_refused(db):
    """The hole as reported: objects were not counted, so storage_used stayed 0 past the limit."""
    user = new_user(db)
    _store(db, f"{user}/first.bin", GIB - 10)
    with pytest.raises(psycopg.errors.ConfigurationLimitExceeded, match="storage limit"):
        _store(db, f"{user}/second.bin", GIB)
    # Inside the test's transaction the failed statement must be rolled back to check what is kept.


def test_refused_object_leaves_nothing_behind(migrated_copy):
    with psycopg.connect(migrated_copy, autocommit=True) as db:
        user = new_user(db)
        _store(db, f"{user}/first.bin", GIB - 10)
        with pytest.raises(psycopg.errors.ConfigurationLimitExceeded):
            _store(db, f"{user}/second.bin", 11)
        assert _used(db, user) == GIB - 10
        names = db.execute("select name from storage.objects where name like %s", (f"{user}/%",)).fetchall()
        assert names == [(f"{user}/first.bin",)]


def test_deleting_and_replacing_objects_moves_the_count(db):
    user = new_user(db)
    first = _store(db, f"{user}/a.pdf", 700)
    _store(db, f"{user}/b.pdf", 300)
    db.execute("update storage.objects set metadata = jsonb_set(metadata, '{size}', '200') where id = %s", (first,))
    assert _used(db, user) == 500
    db.execute("delete from storage.objects where id = %s", (first,))
    assert _used(db, user) == 300


def test_declared_document_sizes_are_not_counted_but_must_fit(db):
    user = new_user(db)
    insert(db, "documents", user_id=user, title="a", file_name="a", file_path=f"{user}/a", file_size=700)
    assert _used(db, user) == 0, "a declared size is a claim, not bytes held"
    with (
        acting_as(db, "authenticated", user),
        pytest.raises(psycopg.errors.ConfigurationLimitExceeded, match="storage limit"),
    ):
        insert(db, "documents", user_id=user, title="big", file_name="big", file_path=f"{user}/big", file_size=GIB + 1)


def test_the_object_sets_its_documents_real_size(db):
    user = new_user(db)
    document = insert(
        db, "documents", user_id=user, title="a", file_name="a.pdf", file_path=f"{user}/a.pdf", file_size=1
    )
    _store(db, f"{user}/a.pdf", 4096)
    row = db.execute("select file_size from documents where id = %s", (document,)).fetchone()
    assert row == (4096,)


def test_objects_outside_user_folders_count_for_nobody(db):
    user = new_user(db)
    _store(db, "shared/readme.txt", 50)
    _store(db, f"{user}", 50)  # a root-level object named like a user id is not in their folder
    assert _used(db, user) == 0


def test_a_user_over_the_limit_may_still_shrink(db):
    user = new_user(db)
    big = _store(db, f"{user}/a.bin", GIB - 1)
    db.execute("update profiles set storage_limit = 1000 where id = %s", (user,))
    db.execute("update storage.objects set metadata = jsonb_set(metadata, '{size}', '2000') where id = %s", (big,))
    assert _used(db, user) == 2000
