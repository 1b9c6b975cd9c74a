"""`ops backup`: pg_dump's custom-format output streamed into S3, then the storage objects, then the manifest.

Order matters for trust: the manifest is written only after the dump's upload completed, pg_dump exited 0
and the row counts were read, so a run that fails or is killed leaves no manifest and is never restored.
Row counts, server version and newest migration come from the very snapshot pg_dump reads
(`pg_export_snapshot` + `pg_dump --snapshot`), so they describe the dump even while the database is written.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import psycopg
from botocore.exceptions import ClientError

from ops.backup import dbstats
from ops.backup.errors import BackupError
from ops.backup.layout import BackupLocation, check_stack_name, utc_stamp
from ops.backup.manifest import Manifest, StorageSummary
from ops.backup.pgtools import Connection, PgClient, scalar
from ops.backup.storage import ObjectStore, copy_to_backup
from ops.backup.upload import DEFAULT_PART_SIZE, MultipartStreamUpload
from ops.progress import CountingReader, Progress

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupSettings:
    database_url: str
    stack: str
    bucket: str
    s3: Any
    pg: PgClient = field(default_factory=PgClient)
    storage_source: ObjectStore | None = None
    part_size: int = DEFAULT_PART_SIZE
    upload_concurrency: int = 2
    excluded_schemas: tuple[str, ...] = dbstats.EXCLUDED_SCHEMAS
    now: datetime | None = None


def run_backup(settings: BackupSettings) -> tuple[BackupLocation, Manifest]:
    location = BackupLocation(settings.bucket, check_stack_name(settings.stack), utc_stamp(settings.now))
    connection = Connection.from_url(settings.database_url)
    pg_dump_version = settings.pg.version("pg_dump")
    log.info("backing up %s to s3://%s/%s", connection.label, settings.bucket, location.prefix)
    try:
        manifest_fields = _dump_to_s3(settings, connection, location)
    except psycopg.OperationalError as exc:
        raise BackupError(
            f"cannot reach the database {connection.label}: {_first_line(exc)}; check the "
            "URL, the password and that this machine may connect"
        ) from None
    try:
        storage = _copy_storage(settings, location)
        manifest = Manifest(
            stack=settings.stack,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            dump_key=location.dump_key,
            pg_dump_version=pg_dump_version,
            excluded_schemas=settings.excluded_schemas,
            data_only_schemas=dbstats.DATA_ONLY_SCHEMAS,
            part_size=settings.part_size,
            storage=storage,
            **manifest_fields,
        )
        # Last write of the run: from here on the backup exists.
        settings.s3.put_object(
            Bucket=settings.bucket, Key=location.manifest_key, Body=manifest.to_json(), ContentType="application/json"
        )
    except BaseException:
        _delete_quietly(settings.s3, settings.bucket, [location.dump_key, location.storage_index_key])
        raise
    log.info("backup complete: %s (%d bytes, sha256 %s)", location.prefix, manifest.size_bytes, manifest.sha256)
    return location, manifest


def _dump_to_s3(settings: BackupSettings, connection: Connection, location: BackupLocation) -> dict[str, Any]:
    with psycopg.connect(connection.psycopg_conninfo, autocommit=False) as db:
        db.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        db.read_only = True
        snapshot = str(scalar(db, "select pg_export_snapshot()"))
        facts: dict[str, Any] = {
            "server_version": dbstats.server_version(db),
            "newest_migration": dbstats.newest_migration(db),
        }
        with tempfile.TemporaryFile() as stderr:
            dump = subprocess.Popen(
                _pg_dump_argv(settings, connection, snapshot), stdout=subprocess.PIPE, stderr=stderr, env=connection.env
            )
            counter = _RowCounter(db, settings.excluded_schemas)
            try:
                with MultipartStreamUpload(
                    settings.s3,
                    settings.bucket,
                    location.dump_key,
                    part_size=settings.part_size,
                    concurrency=settings.upload_concurrency,
                ) as upload:
                    assert dump.stdout is not None
                    # The dump's size is known only at its end: bytes and rate, no time left.
                    progress = Progress(f"dump to s3://{settings.bucket}/{location.dump_key}")
                    sent = upload.send(CountingReader(dump.stdout, progress))
                    progress.finish()
                    exit_code = dump.wait()
                    if exit_code != 0:
                        raise BackupError(
                            f"pg_dump failed (exit {exit_code}): {_tail(stderr)}; the partial "
                            "upload was discarded and no manifest written"
                        )
                    facts["row_counts"] = counter.result()
                    upload.complete()
            except BaseException:
                dump.kill()
                dump.wait()
                counter.join_quietly()
                raise
    stored = _head_if_allowed(settings.s3, settings.bucket, location.dump_key)
    if stored is not None and int(stored["ContentLength"]) != sent.size_bytes:
        raise BackupError(
            f"s3://{settings.bucket}/{location.dump_key} holds {stored['ContentLength']} bytes "
            f"but {sent.size_bytes} were sent; the bucket or endpoint lost data, run the backup again"
        )
    return {**facts, "sha256": sent.sha256, "size_bytes": sent.size_bytes}


def _pg_dump_argv(settings: BackupSettings, connection: Connection, snapshot: str) -> list[str]:
    return [
        settings.pg.path("pg_dump"),
        "--format=custom",
        "--no-password",
        f"--snapshot={snapshot}",
        *[f"--exclude-schema={schema}" for schema in settings.excluded_schemas],
        f"--dbname={connection.conninfo}",
    ]


class _RowCounter:
    """Counts rows on the snapshot's own connection while pg_dump streams (both only read)."""

    def __init__(self, db: psycopg.Connection, excluded: tuple[str, ...]) -> None:
        self._counts: dict[str, int] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(db, excluded), daemon=True)
        self._thread.start()

    def _run(self, db: psycopg.Connection, excluded: tuple[str, ...]) -> None:
        try:
            self._counts = dbstats.row_counts(db, excluded)
        except BaseException as exc:
            self._error = exc

    def result(self) -> dict[str, int]:
        self._thread.join()
        if self._error is not None or self._counts is None:
            raise BackupError(f"counting rows for the manifest failed: {self._error}")
        return self._counts

    def join_quietly(self) -> None:
        self._thread.join(timeout=30)


def _copy_storage(settings: BackupSettings, location: BackupLocation) -> StorageSummary | None:
    if settings.storage_source is None:
        return None
    report = copy_to_backup(settings.storage_source, settings.s3, settings.bucket, settings.stack)
    settings.s3.put_object(
        Bucket=settings.bucket, Key=location.storage_index_key, Body=report.index_json(), ContentType="application/json"
    )
    return StorageSummary(
        objects=len(report.index),
        total_bytes=report.total_bytes,
        copied=report.copied,
        skipped=report.skipped,
        index_key=location.storage_index_key,
    )


def _head_if_allowed(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The object's metadata, or None where the scheduled job's write-only role may not read it."""
    try:
        return dict(s3.head_object(Bucket=bucket, Key=key))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"403", "AccessDenied", "Forbidden"}:
            return None
        raise


def _delete_quietly(s3: Any, bucket: str, keys: list[str]) -> None:
    for key in keys:
        try:
            s3.delete_object(Bucket=bucket, Key=key)
        except Exception as exc:
            # A write-only role cannot delete; without a manifest the leftover is never taken for a backup.
            log.info("could not remove s3://%s/%s after the failed run: %s", bucket, key, exc)


def _tail(stream: IO[bytes], limit: int = 1500) -> str:
    stream.seek(0)
    return stream.read().decode(errors="replace").strip()[-limit:] or "no message"


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
