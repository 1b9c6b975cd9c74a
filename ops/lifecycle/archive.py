"""Archival: documents not opened for `after_days` move from Storage to the archive bucket (S3, GLACIER_IR) and
come back when opened (migration 20261207174257 holds the states; docs/data.md, "Archival").

A pass runs three steps, each entry by entry, each step committing before the next copy is touched:
  discard   a deleted document's archived copy leaves the archive, then its entry;
  restore   an archived file someone opened (public.open_document) goes back to Storage, then leaves the archive;
  archive   a file unopened for `after_days` is copied to the archive, the entry turns 'archived' (the archive's
            copy is now the file), then Storage's copy is removed.
The entry's state says which copy is the file at every moment, so a pass killed anywhere is finished by the next:
a copy is repeated (S3 overwrites it), a delete of something already gone is a no-op, nothing is lost. Files are
spooled through a temporary file, so memory stays one chunk whatever their size.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from botocore.exceptions import BotoCoreError, ClientError
from psycopg.types.json import Jsonb

from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.storage_api import StorageApi, download_to, upload_file
from ops.object_keys import object_key_problem

DOCUMENTS_BUCKET = "documents"
STORAGE_CLASS = "GLACIER_IR"
DEFAULT_BATCH_SIZE = 100
DEFAULT_AFTER_DAYS = 180
# Glacier Instant Retrieval bills every object as at least 128 KiB: a smaller file costs more there than in Storage
# (docs/data.md, "Archival"), so it stays where it is.
DEFAULT_MIN_BYTES = 128 * 1024


@dataclass(frozen=True)
class ArchiveBucket:
    """The stack's archive bucket (stack output `archiveBucket`) through a boto3 S3 client."""

    client: Any
    name: str

    def put(self, key: str, source: Any, content_type: str, document_id: str) -> None:
        self._call(
            "write",
            key,
            lambda: self.client.upload_fileobj(
                source,
                self.name,
                key,
                ExtraArgs={
                    "StorageClass": STORAGE_CLASS,
                    "ContentType": content_type,
                    "Metadata": {"document-id": document_id},
                },
            ),
        )

    def size(self, key: str) -> int | None:
        try:
            return int(self.client.head_object(Bucket=self.name, Key=key)["ContentLength"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error("read", key, exc) from None

    def get_into(self, key: str, sink: Any) -> None:
        self._call("read", key, lambda: self.client.download_fileobj(self.name, key, sink))

    def delete(self, key: str) -> None:
        # S3 answers a delete of a key it does not hold like any other: a repeated delete is harmless.
        self._call("remove", key, lambda: self.client.delete_object(Bucket=self.name, Key=key))

    def _call(self, doing: str, key: str, call: Callable[[], Any]) -> None:
        try:
            call()
        except (BotoCoreError, ClientError) as exc:
            raise self._error(doing, key, exc) from None

    def _error(self, doing: str, key: str, exc: Exception) -> LifecycleError:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__
        return LifecycleError(
            f"the archive bucket {self.name} did not {doing} {key} ({code}); the next pass resumes this file"
        )


@dataclass
class ArchivalReport:
    archived: int = 0
    archived_bytes: int = 0
    restored: int = 0
    restored_bytes: int = 0
    discarded: int = 0
    storage_copies_removed: int = 0

    def counts(self) -> dict[str, int]:
        return dict(vars(self))

    def lines(self) -> list[str]:
        return [
            f"archived {self.archived} documents ({self.archived_bytes} bytes) to {STORAGE_CLASS}",
            f"restored {self.restored} documents ({self.restored_bytes} bytes) to Storage",
            f"discarded {self.discarded} archived copies of deleted documents",
        ]


def run_archival(
    database_url: str,
    storage: StorageApi,
    archive: ArchiveBucket,
    *,
    after_days: int = DEFAULT_AFTER_DAYS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    restore_only: bool = False,
    min_bytes: int = DEFAULT_MIN_BYTES,
) -> ArchivalReport:
    report = ArchivalReport()
    with psycopg.connect(database_url, autocommit=True) as conn:
        discard_entries(conn, archive, report)
        restore_requested(conn, storage, archive, report)
        if not restore_only:
            archive_unopened(
                conn, storage, archive, report, after_days=after_days, batch_size=batch_size, min_bytes=min_bytes
            )
            _record(conn, report)
    return report


def discard_entries(
    conn: psycopg.Connection, archive: ArchiveBucket, report: ArchivalReport, *, user_id: uuid.UUID | None = None
) -> None:
    """Removes the archived copies of entries that are 'discarding' (of one account: every entry of it)."""
    if user_id is not None:
        conn.execute(
            "update private.document_archive set state = 'discarding', changed_at = now() where user_id = %s",
            (user_id,),
        )
    rows = conn.execute(
        "select document_id, file_path from private.document_archive where state = 'discarding' "
        "and (%(user)s::uuid is null or user_id = %(user)s) order by changed_at",
        {"user": user_id},
    ).fetchall()
    for document_id, file_path in rows:
        archive.delete(file_path)
        conn.execute(
            "delete from private.document_archive where document_id = %s and state = 'discarding'", (document_id,)
        )
        report.discarded += 1


def restore_requested(
    conn: psycopg.Connection, storage: StorageApi, archive: ArchiveBucket, report: ArchivalReport
) -> None:
    conn.execute(
        "update private.document_archive set state = 'restoring', changed_at = now() "
        "where state = 'archived' and restore_requested_at is not null"
    )
    rows = conn.execute(
        "select a.document_id, a.file_path, a.size_bytes, coalesce(d.mime_type, 'application/octet-stream') "
        "from private.document_archive a left join public.documents d on d.id = a.document_id "
        "where a.state = 'restoring' order by a.restore_requested_at"
    ).fetchall()
    for document_id, file_path, size, content_type in rows:
        if _storage_size(conn, file_path) != size:
            with tempfile.TemporaryFile() as spool:
                archive.get_into(file_path, spool)
                spool.seek(0)
                upload_file(storage, DOCUMENTS_BUCKET, file_path, spool, content_type)
        if _storage_size(conn, file_path) != size:
            raise LifecycleError(
                f"Storage does not hold the {size} bytes of document {document_id} after its restore; "
                "the archived copy is kept and the next pass tries again"
            )
        archive.delete(file_path)
        with conn.transaction():
            finished = conn.execute(
                "delete from private.document_archive where document_id = %s and state = 'restoring'",
                (document_id,),
            ).rowcount
            conn.execute("update public.documents set storage_tier = 'standard' where id = %s", (document_id,))
            if not finished:
                # Deleted while it came back: Storage's new copy belongs to no document any more.
                _queue_storage_removal(conn, file_path)
        report.restored += 1
        report.restored_bytes += int(size)


def archive_unopened(
    conn: psycopg.Connection,
    storage: StorageApi,
    archive: ArchiveBucket,
    report: ArchivalReport,
    *,
    after_days: int,
    batch_size: int,
    min_bytes: int = DEFAULT_MIN_BYTES,
) -> None:
    while True:
        with conn.transaction():
            claimed = conn.execute(
                """
                insert into private.document_archive (document_id, user_id, file_path, size_bytes, state)
                select d.id, d.user_id, d.file_path, private.object_size(o.metadata), 'archiving'
                from public.documents d
                join storage.objects o on o.bucket_id = 'documents' and o.name = d.file_path
                left join private.document_opens p on p.document_id = d.id
                where d.storage_tier = 'standard' and d.status = 'completed'
                  and coalesce(p.opened_at, d.created_at) < now() - make_interval(days => %(days)s)
                  and not exists (select 1 from private.document_archive a where a.document_id = d.id)
                  and private.object_key_problem(d.file_path, d.user_id) is null
                  and private.object_size(o.metadata) >= %(min_bytes)s
                order by coalesce(p.opened_at, d.created_at)
                limit %(limit)s
                on conflict (document_id) do nothing
                """,
                {"days": after_days, "limit": batch_size, "min_bytes": min_bytes},
            ).rowcount
        moved = _copy_claimed(conn, storage, archive, report)
        _remove_storage_leftovers(conn, storage, report)
        if not claimed and not moved:
            return


def _copy_claimed(conn: psycopg.Connection, storage: StorageApi, archive: ArchiveBucket, report: ArchivalReport) -> int:
    """Copies every 'archiving' entry (this pass's and any a killed pass left) and marks it 'archived'."""
    rows = conn.execute(
        "select a.document_id, a.file_path, a.size_bytes, coalesce(d.mime_type, 'application/octet-stream'), "
        "a.changed_at from private.document_archive a left join public.documents d on d.id = a.document_id "
        "where a.state = 'archiving' order by a.changed_at, a.document_id"
    ).fetchall()
    for document_id, file_path, size, content_type, claimed_at in rows:
        if object_key_problem(file_path):
            raise LifecycleError(f"document {document_id}'s key is not canonical; it is not archived")
        if archive.size(file_path) != size:
            with tempfile.TemporaryFile() as spool:
                download_to(storage, DOCUMENTS_BUCKET, file_path, spool)
                spool.seek(0)
                archive.put(file_path, spool, content_type, str(document_id))
        if archive.size(file_path) != size:
            raise LifecycleError(
                f"the archive holds another size than Storage's {size} bytes for document {document_id}; "
                "Storage's copy is kept and the next pass copies it again"
            )
        with conn.transaction():
            done = conn.execute(
                "update private.document_archive a set state = 'archived', changed_at = now() "
                "where a.document_id = %s and a.state = 'archiving' and not exists ("
                "select 1 from private.document_opens p where p.document_id = a.document_id and p.opened_at > %s)",
                (document_id, claimed_at),
            ).rowcount
            if done:
                conn.execute("update public.documents set storage_tier = 'archived' where id = %s", (document_id,))
            else:
                # Opened (or deleted) while it was copied: Storage's copy stays the file, the archive's goes.
                conn.execute(
                    "update private.document_archive set state = 'discarding', changed_at = now() "
                    "where document_id = %s and state = 'archiving'",
                    (document_id,),
                )
        if done:
            report.archived += 1
            report.archived_bytes += int(size)
    if rows:
        discard_entries(conn, archive, report)
    return len(rows)


def _remove_storage_leftovers(conn: psycopg.Connection, storage: StorageApi, report: ArchivalReport) -> None:
    """Storage's copies of files the archive now holds (removed only after the 'archived' state was committed)."""
    names = [
        row[0]
        for row in conn.execute(
            "select a.file_path from private.document_archive a join storage.objects o "
            "on o.bucket_id = 'documents' and o.name = a.file_path where a.state = 'archived'"
        )
    ]
    for start in range(0, len(names), 1000):
        removed = storage.delete_objects(DOCUMENTS_BUCKET, names[start : start + 1000])
        report.storage_copies_removed += len(removed)


def _storage_size(conn: psycopg.Connection, file_path: str) -> int | None:
    row = conn.execute(
        "select private.object_size(metadata) from storage.objects where bucket_id = 'documents' and name = %s",
        (file_path,),
    ).fetchone()
    return int(row[0]) if row else None


def _queue_storage_removal(conn: psycopg.Connection, file_path: str) -> None:
    conn.execute(
        "insert into private.storage_deletions (bucket_id, name, reason) values ('documents', %s, 'document_deleted') "
        "on conflict (bucket_id, name) do nothing",
        (file_path,),
    )


def _record(conn: psycopg.Connection, report: ArchivalReport) -> None:
    conn.execute(
        "insert into private.lifecycle_runs (task, started_at, counts) values ('archival', now(), %s)",
        (Jsonb(report.counts()),),
    )
