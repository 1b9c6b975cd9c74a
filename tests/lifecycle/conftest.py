"""A private migrated database per test (the lifecycle jobs commit), with the stack's buckets, and a Storage
stand-in that removes objects from it as Storage does."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from ops.lifecycle.storage_api import StorageApi
from tests.lifecycle.storage_standin import SERVICE_KEY, StorageStandIn, storage_standin

BUCKETS = ("avatars", "automation-results", "ticket-attachments", "documents", "thumbnails", "exports")


@pytest.fixture
def lifecycle_db(migrated_copy: str) -> str:
    with psycopg.connect(migrated_copy, autocommit=True) as conn:
        for bucket in BUCKETS:
            conn.execute(
                "insert into storage.buckets (id, name, public) values (%s, %s, %s) on conflict do nothing",
                (bucket, bucket, bucket == "avatars"),
            )
    return migrated_copy


@pytest.fixture
def storage(lifecycle_db: str) -> Iterator[StorageStandIn]:
    with storage_standin(lifecycle_db) as standin:
        yield standin
        assert not standin.violations, standin.violations


@pytest.fixture
def storage_api(storage: StorageStandIn) -> StorageApi:
    return StorageApi(storage.url, SERVICE_KEY)
