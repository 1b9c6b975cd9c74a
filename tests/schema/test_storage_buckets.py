"""The storageBuckets config and the local stack's bucket provider, driven through Pulumi's provider host."""

from __future__ import annotations

import psycopg
import pytest
from pydantic import ValidationError

from components.local_storage import LocalStorage, LocalStorageArgs
from providers.local_buckets import LocalBucketProvider
from stackconfig.loader import validate_config
from stackconfig.storage import BucketConfig
from tests.harness.provider_host import ProviderError, ProviderHost, Secret, Unknown

GUIDE_BUCKETS = {"avatars", "automation-results", "ticket-attachments", "documents", "thumbnails"}


def test_default_buckets_are_both_guides_buckets_with_their_limits():
    buckets = {b.id: b for b in validate_config({}, stack_file="Pulumi.local.yaml").storage_buckets}
    # And the archives people ask for (issue 26, docs/data.md): private, zip only.
    assert set(buckets) == GUIDE_BUCKETS | {"exports"}
    assert buckets["exports"].allowed_mime_types == ("application/zip",) or list(
        buckets["exports"].allowed_mime_types
    ) == ["application/zip"]
    assert [b for b in buckets.values() if b.public] == [buckets["avatars"]]
    # Guide 002's limits and types.
    assert buckets["documents"].file_size_limit == 52428800
    assert "application/pdf" in buckets["documents"].allowed_mime_types
    assert buckets["thumbnails"].file_size_limit == 5242880
    assert not any(t.startswith("image/svg") or t.endswith("/*") for t in buckets["avatars"].allowed_mime_types)


@pytest.mark.parametrize(
    ("bucket", "complaint"),
    [
        ({"id": "Docs", "fileSizeLimit": 1}, "id"),
        ({"id": "docs", "fileSizeLimit": 0}, "fileSizeLimit"),
        ({"id": "docs", "fileSizeLimit": "5MB"}, "fileSizeLimit"),
        ({"id": "docs", "fileSizeLimit": 1, "allowedMimeTypes": ["pdf"]}, "not MIME types: 'pdf'"),
        ({"id": "docs", "fileSizeLimit": 1, "sizeLimit": 2}, "sizeLimit"),
    ],
)
def test_a_bad_bucket_is_refused_naming_the_field(bucket, complaint):
    with pytest.raises(ValidationError, match=complaint):
        BucketConfig.model_validate(bucket)


def test_duplicate_bucket_ids_are_refused_with_the_stack_file_named():
    duplicate = [{"id": "docs", "fileSizeLimit": 1}, {"id": "docs", "fileSizeLimit": 2}]
    with pytest.raises(ValueError, match=r"(?s)Pulumi\.local\.yaml.*listed more than once: docs"):
        validate_config({"storageBuckets": duplicate}, stack_file="Pulumi.local.yaml")


@pytest.fixture(scope="module")
def host():
    with ProviderHost() as running:
        yield running


def _props(url: str, **overrides: object) -> dict[str, object]:
    return {
        "connection": Secret(url),
        "bucketId": "documents",
        "public": False,
        "fileSizeLimit": 52428800,
        "allowedMimeTypes": ["application/pdf"],
        **overrides,
    }


def _row(url: str, bucket: str) -> tuple | None:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select public, file_size_limit, allowed_mime_types from storage.buckets where id = %s", (bucket,)
        ).fetchone()


def test_bucket_lifecycle_create_read_update_delete(host, migrated_copy):
    provider = LocalBucketProvider()
    created = host.create(provider, _props(migrated_copy))
    assert created.id == "documents"
    assert "connection" in created.secret_outputs
    assert _row(migrated_copy, "documents") == (False, 52428800, ["application/pdf"])

    news = _props(migrated_copy, fileSizeLimit=1024.0, allowedMimeTypes=[])
    assert host.diff(provider, "documents", created.outs, news).changes is True
    assert host.diff(provider, "documents", created.outs, _props(migrated_copy)).changes is False
    assert host.diff(provider, "documents", created.outs, _props(migrated_copy, bucketId="docs")).replaces == [
        "bucketId"
    ]
    updated = host.update(provider, "documents", created.outs, news)
    assert updated.outs["fileSizeLimit"] == 1024
    assert _row(migrated_copy, "documents") == (False, 1024, None)

    # Drift made outside Pulumi is what read reports.
    with psycopg.connect(migrated_copy) as conn:
        conn.execute("update storage.buckets set public = true where id = 'documents'")
    read = host.read(provider, "documents", updated.outs)
    assert read.id == "documents" and read.outs["public"] is True

    host.delete(provider, "documents", read.outs)
    assert _row(migrated_copy, "documents") is None
    assert host.read(provider, "documents", read.outs).id == ""


def test_delete_refuses_a_bucket_that_still_holds_objects(host, migrated_copy):
    provider = LocalBucketProvider()
    created = host.create(provider, _props(migrated_copy, bucketId="avatars", public=True))
    with psycopg.connect(migrated_copy) as conn:
        conn.execute("insert into storage.objects (bucket_id, name) values ('avatars', 'u/me.png')")
    with pytest.raises(ProviderError, match="still holds 1 object") as refused:
        host.delete(provider, "avatars", created.outs)
    assert _row(migrated_copy, "avatars") is not None
    assert "empty it first" in refused.value.details
    assert migrated_copy not in refused.value.details  # the URL never appears in a message


def test_check_reports_bad_values_and_tolerates_unknowns(host):
    provider = LocalBucketProvider()
    bad = host.check(
        provider, {}, _props("postgresql://x@/y", bucketId="Bad Id", fileSizeLimit=-1, allowedMimeTypes=["nope"])
    )
    assert {field for field, _ in bad.failures} == {"bucketId", "fileSizeLimit", "allowedMimeTypes"}
    preview = host.check(provider, {}, _props("postgresql://x@/y", fileSizeLimit=Unknown(), bucketId=Unknown()))
    assert preview.failures == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_component_declares_one_bucket_resource_per_configured_bucket():
    import pulumi

    created: list[tuple[str, str, dict]] = []

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs):
            created.append((args.typ, args.name, args.inputs))
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs):
            return {}

    pulumi.runtime.set_mocks(Mocks(), preview=False)
    buckets = validate_config({}, stack_file="Pulumi.local.yaml").storage_buckets

    @pulumi.runtime.test
    def program():
        storage = LocalStorage(
            "local-storage", LocalStorageArgs(connection="postgresql://postgres@/db", buckets=buckets)
        )
        return storage.bucket_ids.apply(lambda ids: ids)

    program()
    dynamic = [(name, inputs) for typ, name, inputs in created if typ == "pulumi-python:dynamic/storage:LocalBucket"]
    assert {name for name, _ in dynamic} == {f"local-storage-{bucket}" for bucket in GUIDE_BUCKETS | {"exports"}}
    avatars = next(inputs for name, inputs in dynamic if name == "local-storage-avatars")
    assert avatars["public"] is True and avatars["fileSizeLimit"] == 5242880
