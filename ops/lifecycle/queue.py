"""Draining private.storage_deletions, the database's list of objects that must leave Storage.

Each batch is taken with SKIP LOCKED (two runs never send the same names), sent to Storage per bucket, and
removed from the list in the same transaction once Storage answered: a run killed before that leaves the batch
for the next run, and Storage's delete of a name it no longer holds is a no-op, so nothing is removed twice.
A key that is not canonical is never sent: it stays on the list with its problem, for an operator.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass

import psycopg

from ops.lifecycle.storage_api import StorageApi
from ops.object_keys import object_key_problem

log = logging.getLogger(__name__)
DEFAULT_BATCH_SIZE = 1000


@dataclass
class DrainResult:
    removed: int = 0  # objects Storage removed
    absent: int = 0  # listed names Storage no longer held
    blocked: int = 0  # keys held back because they are not canonical

    def add(self, other: DrainResult) -> None:
        self.removed += other.removed
        self.absent += other.absent
        self.blocked += other.blocked


def drain(
    database_url: str,
    storage: StorageApi,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    prefix: str | None = None,
    account: uuid.UUID | None = None,
) -> DrainResult:
    """Empties the list (or its entries under `prefix`), batch by batch. With `account`, each batch also adds
    what it removed to that erasure's count, in the batch's transaction (so a killed run loses no count)."""
    total = DrainResult()
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            batch = _drain_batch(conn, storage, batch_size, prefix, account)
            total.add(batch)
            if batch.removed + batch.absent + batch.blocked == 0:
                return total


def _drain_batch(
    conn: psycopg.Connection, storage: StorageApi, batch_size: int, prefix: str | None, account: uuid.UUID | None
) -> DrainResult:
    result = DrainResult()
    with conn.transaction():
        rows = conn.execute(
            "select bucket_id, name from private.storage_deletions "
            "where problem is null and (%(prefix)s::text is null or name like private.like_prefix(%(prefix)s)) "
            "order by bucket_id, name limit %(limit)s for update skip locked",
            {"prefix": prefix, "limit": batch_size},
        ).fetchall()
        by_bucket: dict[str, list[str]] = defaultdict(list)
        for bucket, name in rows:
            problem = object_key_problem(name)
            if problem:
                conn.execute(
                    "update private.storage_deletions set problem = %s where bucket_id = %s and name = %s",
                    (problem, bucket, name),
                )
                log.warning("not removing %s/%s: the key %s", bucket, name, problem)
                result.blocked += 1
            else:
                by_bucket[bucket].append(name)
        for bucket, names in by_bucket.items():
            removed = storage.delete_objects(bucket, names)
            result.removed += len(removed & set(names))
            result.absent += len(set(names) - removed)
            conn.execute(
                "delete from private.storage_deletions where bucket_id = %s and name = any(%s)", (bucket, names)
            )
        if account is not None and result.removed:
            conn.execute(
                "update private.account_deletions set objects_removed = objects_removed + %s where user_id = %s",
                (result.removed, account),
            )
    return result
