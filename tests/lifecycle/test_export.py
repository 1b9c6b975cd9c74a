"""Export: the archive holds every row that references the person (from the catalog) and every file of their
folder, nobody else's; it lives in their folder of the exports bucket, counted against their quota, until the
sweep removes it; requests are limited to one a day; an archive over the cap or the quota fails with the reason."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import psycopg
import pytest

from ops.lifecycle.export import process_export_requests
from ops.lifecycle.storage_api import StorageApi
from ops.lifecycle.sweep import sweep
from tests.lifecycle.account_world import build_account_world
from tests.lifecycle.objects import add_document, new_user, object_names, storage_used
from tests.lifecycle.storage_standin import StorageStandIn
from tests.schema.sessions import claims_for


def _request(conn: psycopg.Connection, user: str) -> str:
    """As the function asks: the user's role and claims, local to one transaction."""
    with conn.transaction():
        conn.execute("set local role authenticated")
        conn.execute("select set_config('request.jwt.claims', %s, true)", (claims_for("authenticated", user),))
        return str(conn.execute("select private.request_data_export()").fetchone()[0])


def _seed_blobs(conn: psycopg.Connection, storage: StorageStandIn) -> None:
    for bucket, name in conn.execute("select bucket_id, name from storage.objects"):
        storage.blobs[(bucket, name)] = f"bytes of {bucket}/{name}".encode()


def test_the_archive_holds_the_persons_rows_and_files_and_nobody_elses(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        people = build_account_world(conn)
        _seed_blobs(conn, storage)
        export_id = _request(conn, people.person)
        used_before = storage_used(conn, people.person)

    [result] = process_export_requests(lifecycle_db, storage_api)

    assert result.status == "ready", result
    name = f"{people.person}/exports/{export_id}.zip"
    archive = zipfile.ZipFile(io.BytesIO(storage.blobs[("exports", name)]))
    names = set(archive.namelist())
    files = {n for n in names if n.startswith("files/")}
    assert files == {
        f"files/{bucket}/{obj}"
        for bucket, obj in storage.blobs
        if obj.startswith(people.person) and bucket != "exports"
    }
    assert (
        archive.read(f"files/documents/{people.person}/passport.pdf")
        == f"bytes of documents/{people.person}/passport.pdf".encode()
    )
    documents = json.loads(archive.read("rows/documents.json"))
    assert {d["title"] for d in documents} == {"Passport", "Will"}
    assert json.loads(archive.read("account.json"))["email"] == people.email
    assert people.bystander not in json.loads(archive.read("rows/conversations.json")).__repr__()
    assert {"rows/profiles.json", "rows/messages.json", "rows/subscriptions.json", "README.txt"} <= names
    with psycopg.connect(lifecycle_db) as conn:
        assert storage_used(conn, people.person) == used_before + result.size_bytes, "counted while it exists"
        row = conn.execute(
            "select status, object_name, expires_at > now() + interval '6 days' "
            "from private.data_exports where id = %s",
            (export_id,),
        ).fetchone()
    assert row == ("ready", name, True)


def test_one_request_a_day(lifecycle_db: str):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = str(uuid.uuid4())
        conn.execute("insert into auth.users (id, email) values (%s, %s)", (user, f"{user[:8]}@example.test"))
        _request(conn, user)
        with pytest.raises(psycopg.errors.ProgramLimitExceeded, match="the next may be requested after"):
            _request(conn, user)
        conn.execute("update private.data_exports set requested_at = now() - interval '25 hours'")
        _request(conn, user)


def test_an_archive_over_the_cap_fails_with_the_reason_and_nothing_is_stored(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        people = build_account_world(conn)
        _seed_blobs(conn, storage)
        export_id = _request(conn, people.person)

    [result] = process_export_requests(lifecycle_db, storage_api, cap_bytes=100)

    assert result.status == "failed" and "over the export cap of 100 bytes" in (result.error or "")
    assert not [key for key in storage.blobs if key[1].endswith(".zip")]
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select status from private.data_exports where id = %s", (export_id,)).fetchone() == (
            "failed",
        )


def test_an_archive_that_does_not_fit_the_quota_fails_with_the_reason(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        people = build_account_world(conn)
        _seed_blobs(conn, storage)
        conn.execute("update public.profiles set storage_limit = storage_used + 10 where id = %s", (people.person,))
        _request(conn, people.person)

    [result] = process_export_requests(lifecycle_db, storage_api)

    assert result.status == "failed" and "does not fit in the storage limit" in (result.error or "")


def test_the_sweep_removes_an_expired_archive_and_the_quota_drops(
    lifecycle_db: str, storage: StorageStandIn, storage_api: StorageApi
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        add_document(conn, user, "d/passport.pdf", size=1000)
        _seed_blobs(conn, storage)
        _request(conn, user)
    [result] = process_export_requests(lifecycle_db, storage_api)
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        assert storage_used(conn, user) == 1000 + (result.size_bytes or 0)
        conn.execute("update private.data_exports set expires_at = now() - interval '1 minute'")

    report = sweep(lifecycle_db, storage_api)

    assert report.documents["export_expired"] == 1
    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "exports") == set()
        assert storage_used(conn, user) == 1000
        assert conn.execute("select count(*) from private.data_exports").fetchone()[0] == 0
