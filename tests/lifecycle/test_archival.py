"""Archival: documents unopened for the period move to the archive bucket (S3 under moto, GLACIER_IR) and come back
when opened; the quota counts them all the while; a pass killed anywhere is finished by the next, with the file
in exactly one authoritative place; users can neither write where a file is nor when it was opened."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import psycopg
import pytest
from moto import mock_aws
from psycopg import errors

from ops.cli import main
from ops.lifecycle.archive import ArchiveBucket, run_archival
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.export import process_export_requests
from ops.lifecycle.storage_api import StorageApi
from ops.lifecycle.sweep import sweep
from tests.lifecycle.objects import add_document, new_user, object_names, storage_used
from tests.lifecycle.storage_standin import SERVICE_KEY, StorageStandIn
from tests.schema.sessions import acting_as, as_role

DAY_HOURS = 24


@pytest.fixture
def archive(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArchiveBucket]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-central-1")
        client.create_bucket(Bucket="archive", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        yield ArchiveBucket(client, "archive")


@dataclass
class Vault:
    user: str
    stale: tuple[str, str]  # (document id, path): unopened for 200 days
    opened: tuple[str, str]  # uploaded 200 days ago, opened 10 days ago
    recent: tuple[str, str]  # uploaded 10 days ago


def _document(conn: psycopg.Connection, storage: StorageStandIn, user: str, name: str, days: float) -> tuple[str, str]:
    doc = add_document(conn, user, name, size=len(name) * 100, age_hours=days * DAY_HOURS)
    storage.blobs[("documents", doc[1])] = name.encode() * 100
    return doc


@pytest.fixture
def vault(lifecycle_db: str, storage: StorageStandIn) -> Vault:
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        stale = _document(conn, storage, user, "a/passport.pdf", 200)
        opened = _document(conn, storage, user, "b/contract.pdf", 200)
        recent = _document(conn, storage, user, "c/invoice.pdf", 10)
        conn.execute(
            "insert into private.document_opens (document_id, opened_at) values (%s, now() - interval '10 days')",
            (opened[0],),
        )
    return Vault(user, stale, opened, recent)


def _archived_keys(archive: ArchiveBucket) -> dict[str, str]:
    listed = archive.client.list_objects_v2(Bucket=archive.name).get("Contents", [])
    return {item["Key"]: item["StorageClass"] for item in listed}


def _tier(conn: psycopg.Connection, document_id: str) -> str:
    return conn.execute("select storage_tier from public.documents where id = %s", (document_id,)).fetchone()[0]


def test_a_document_unopened_for_the_period_moves_to_glacier_ir_and_still_counts_in_the_quota(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket
):
    with psycopg.connect(lifecycle_db) as conn:
        used = storage_used(conn, vault.user)

    report = run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)

    path = vault.stale[1]
    assert _archived_keys(archive) == {path: "GLACIER_IR"}
    body = archive.client.get_object(Bucket=archive.name, Key=path)["Body"].read()
    assert body == b"a/passport.pdf" * 100
    with psycopg.connect(lifecycle_db) as conn:
        assert object_names(conn, "documents") == {vault.opened[1], vault.recent[1]}
        assert _tier(conn, vault.stale[0]) == "archived"
        assert _tier(conn, vault.opened[0]) == _tier(conn, vault.recent[0]) == "standard"
        assert storage_used(conn, vault.user) == used, "archived bytes count as they did in Storage"
    assert (report.archived, report.archived_bytes) == (1, len("a/passport.pdf") * 100)


def test_archiving_frees_no_room_for_more_uploads(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        used = storage_used(conn, vault.user)
        conn.execute("update public.profiles set storage_limit = %s where id = %s", (used, vault.user))
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    with psycopg.connect(lifecycle_db, autocommit=True) as conn, pytest.raises(errors.ConfigurationLimitExceeded):
        conn.execute(
            "insert into storage.objects (bucket_id, name, metadata) values ('documents', %s, %s)",
            (f"{vault.user}/d/new.pdf", '{"size": 1}'),
        )


def test_opening_an_archived_document_brings_it_back_even_for_a_user_at_the_limit(
    lifecycle_db: str, vault: Vault, storage: StorageStandIn, storage_api: StorageApi, archive: ArchiveBucket
):
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        used = storage_used(conn, vault.user)
        conn.execute("update public.profiles set storage_limit = %s where id = %s", (used, vault.user))
        with conn.transaction(), as_role(conn, "authenticated", vault.user):
            opened = conn.execute("select * from public.open_document(%s)", (vault.stale[0],)).fetchone()
    assert opened == ("archived", True), "the app shows where the file is and that it is on its way back"
    storage.blobs.pop(("documents", vault.stale[1]))

    report = run_archival(lifecycle_db, storage_api, archive, after_days=180, restore_only=True, min_bytes=0)

    assert report.restored == 1 and _archived_keys(archive) == {}
    assert storage.blobs[("documents", vault.stale[1])] == b"a/passport.pdf" * 100
    with psycopg.connect(lifecycle_db) as conn:
        assert _tier(conn, vault.stale[0]) == "standard"
        assert storage_used(conn, vault.user) == used
        assert conn.execute("select count(*) from private.document_archive").fetchone()[0] == 0
    # Opened just now: the next full pass leaves it in Storage.
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    assert _archived_keys(archive) == {}


def test_a_pass_killed_after_the_copy_is_finished_by_the_next_with_one_authoritative_copy(
    lifecycle_db: str, vault: Vault, storage: StorageStandIn, storage_api: StorageApi, archive: ArchiveBucket
):
    storage.fail_after = 0  # Storage refuses the removal: the pass stops after the archive took the file
    with pytest.raises(LifecycleError):
        run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    with psycopg.connect(lifecycle_db) as conn:
        state = conn.execute("select state from private.document_archive").fetchall()
        assert state == [("archived",)], "the archive's copy is the file; Storage's is a leftover"
        assert vault.stale[1] in object_names(conn, "documents")
        assert _tier(conn, vault.stale[0]) == "archived"

    storage.fail_after = None
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)

    assert _archived_keys(archive) == {vault.stale[1]: "GLACIER_IR"}
    with psycopg.connect(lifecycle_db) as conn:
        assert vault.stale[1] not in object_names(conn, "documents")


def test_a_pass_killed_during_the_copy_leaves_storage_authoritative_and_the_next_finishes(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket, monkeypatch: pytest.MonkeyPatch
):
    with psycopg.connect(lifecycle_db) as conn:
        used = storage_used(conn, vault.user)

    def refused(*_args: object, **_kwargs: object) -> None:
        raise LifecycleError("the archive bucket did not write it")

    with monkeypatch.context() as patched:
        patched.setattr(ArchiveBucket, "put", refused)
        with pytest.raises(LifecycleError):
            run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select state from private.document_archive").fetchall() == [("archiving",)]
        assert vault.stale[1] in object_names(conn, "documents") and _tier(conn, vault.stale[0]) == "standard"
        assert storage_used(conn, vault.user) == used
    assert _archived_keys(archive) == {}

    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)

    assert _archived_keys(archive) == {vault.stale[1]: "GLACIER_IR"}
    with psycopg.connect(lifecycle_db) as conn:
        assert vault.stale[1] not in object_names(conn, "documents")
        assert storage_used(conn, vault.user) == used


def test_deleting_an_archived_document_removes_its_archived_copy_and_the_quota_drops(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket
):
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        before = storage_used(conn, vault.user)
        conn.execute("delete from public.documents where id = %s", (vault.stale[0],))
        assert storage_used(conn, vault.user) == before - len("a/passport.pdf") * 100

    report = run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)

    assert report.discarded == 1 and _archived_keys(archive) == {}
    with psycopg.connect(lifecycle_db) as conn:
        assert conn.execute("select count(*) from private.document_archive").fetchone()[0] == 0


def test_the_sweep_keeps_an_archived_document_whose_file_is_not_in_storage(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket
):
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    report = sweep(lifecycle_db, storage_api)
    assert report.documents["missing_object"] == 0
    with psycopg.connect(lifecycle_db) as conn:
        assert _tier(conn, vault.stale[0]) == "archived"


def test_users_cannot_write_where_a_file_is_or_when_it_was_opened_nor_open_anothers_document(
    lifecycle_db: str, vault: Vault
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        stranger = new_user(conn)
        with conn.transaction():
            with acting_as(conn, "authenticated", vault.user), pytest.raises(errors.InsufficientPrivilege):
                conn.execute("update public.documents set storage_tier = 'archived' where id = %s", (vault.stale[0],))
            with acting_as(conn, "authenticated", vault.user), pytest.raises(errors.InsufficientPrivilege):
                conn.execute(
                    "insert into private.document_opens (document_id, opened_at) values (%s, now() - interval "
                    "'1 year')",
                    (vault.opened[0],),
                )
            with acting_as(conn, "authenticated", stranger), pytest.raises(errors.NoDataFound):
                conn.execute("select * from public.open_document(%s)", (vault.recent[0],))
        # What the stranger tried changed nothing: the recent document has no open recorded.
        opens = conn.execute("select count(*) from private.document_opens where document_id = %s", (vault.recent[0],))
        assert opens.fetchone()[0] == 0


def test_ops_archive_run_reads_the_stacks_period_and_puts_its_counts_in_cloudwatch(
    lifecycle_db: str,
    vault: Vault,
    storage: StorageStandIn,
    archive: ArchiveBucket,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("SUPABASE_URL", storage.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    command = ["archive", "run", "--database-url", lifecycle_db, "--archive-bucket", archive.name]
    code = main([*command, "--stack", "staging", "--publish-metrics", "--region", "eu-central-1", "--min-bytes", "0"])
    cloudwatch = boto3.client("cloudwatch", region_name="eu-central-1")
    stats = cloudwatch.get_metric_statistics(
        Namespace="AiPlatform/Supabase",
        MetricName="DocumentsArchived",
        Dimensions=[{"Name": "Stack", "Value": "staging"}],
        StartTime="2000-01-01",
        EndTime="2100-01-01",
        Period=86400,
        Statistics=["Sum"],
    )
    assert code == 0, capsys.readouterr()
    assert "archived 1 documents" in capsys.readouterr().out, "staging keeps Pulumi.yaml's 180 days"
    assert sum(point["Sum"] for point in stats["Datapoints"]) == 1
    assert _archived_keys(archive) == {vault.stale[1]: "GLACIER_IR"}

    assert main([*command, "--after-days", "30"]) == 2, "shorter than Glacier IR's 90-day minimum"
    assert main([*command[:4]]) == 1 and "--after-days, or --stack" in capsys.readouterr().err


def test_an_export_holds_the_archived_documents_from_the_archive_bucket(
    lifecycle_db: str, vault: Vault, storage: StorageStandIn, storage_api: StorageApi, archive: ArchiveBucket
):
    run_archival(lifecycle_db, storage_api, archive, after_days=180, min_bytes=0)
    storage.blobs.pop(("documents", vault.stale[1]))  # Storage no longer holds it: only the archive can answer
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        export_id = conn.execute(
            "insert into private.data_exports (user_id) values (%s) returning id", (vault.user,)
        ).fetchone()[0]
    with pytest.raises(LifecycleError, match="ARCHIVE_BUCKET"):
        process_export_requests(lifecycle_db, storage_api)

    [result] = process_export_requests(lifecycle_db, storage_api, archive_bucket=archive)

    assert result.status == "ready", result
    made = zipfile.ZipFile(io.BytesIO(storage.blobs[("exports", f"{vault.user}/exports/{export_id}.zip")]))
    assert made.read(f"files/documents/{vault.stale[1]}") == b"a/passport.pdf" * 100
    assert {n for n in made.namelist() if n.startswith("files/documents/")} == {
        f"files/documents/{path}" for path in (vault.stale[1], vault.opened[1], vault.recent[1])
    }


def test_a_file_smaller_than_glacier_irs_billed_minimum_stays_in_storage(
    lifecycle_db: str, vault: Vault, storage_api: StorageApi, archive: ArchiveBucket
):
    report = run_archival(lifecycle_db, storage_api, archive, after_days=180)  # 128 KiB by default
    assert report.archived == 0 and _archived_keys(archive) == {}
    with psycopg.connect(lifecycle_db) as conn:
        assert _tier(conn, vault.stale[0]) == "standard"
