"""Building a person's export: one zip of their rows (JSON) and their files, stored in their folder of the
`exports` bucket for ARCHIVE_DAYS (counted against their quota meanwhile), then removed by the sweep.

Layout of the archive (docs/data.md, "Getting it"):
    README.txt                     this layout
    account.json                   the sign-in account: id, e-mail, phone, created_at, last_sign_in_at
    rows/<table>.json              every row of <table> that references the person, as the database holds it
    files/<bucket>/<object name>   every object of the person's folder in every bucket (earlier exports aside),
                                   archived documents (in the archive bucket) among them

The tables are found from the catalog (a foreign key to profiles or auth.users), so a table added later is
exported too. Files are streamed from Storage into the zip and the zip from disk to Storage: memory stays one
chunk whatever the archive's size. An archive over the cap fails with the reason; Storage being unreachable
leaves the request for the next run.
"""

from __future__ import annotations

import json
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from ops.lifecycle.archive import DOCUMENTS_BUCKET, ArchiveBucket
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.storage_api import StorageApi, StorageWriteRefused, download_to, upload_file
from ops.object_keys import object_key_problem

EXPORT_BUCKET = "exports"
ARCHIVE_DAYS = 7
DEFAULT_CAP_BYTES = 5 * 1024**3
LAYOUT = __doc__.split("Layout of the archive", 1)[1].split("\n\n", 1)[0]


class ExportRefused(LifecycleError):
    """The archive cannot be made (too large, no room in the quota): the request fails with this reason."""


@dataclass(frozen=True)
class ExportResult:
    export_id: str
    status: str  # ready | failed
    size_bytes: int | None = None
    error: str | None = None


def person_tables(conn: psycopg.Connection) -> dict[str, list[str]]:
    """`schema.table` -> its columns that reference the person (foreign keys to profiles or auth.users)."""
    rows = conn.execute("""
        select n.nspname, c.relname, array_agg(distinct a.attname order by a.attname)
        from pg_constraint k
        join pg_class c on c.oid = k.conrelid and not c.relispartition
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        join pg_attribute a on a.attrelid = c.oid and a.attnum = any(k.conkey)
        where k.contype = 'f' and k.confrelid in ('public.profiles'::regclass, 'auth.users'::regclass)
        group by 1, 2 order by 1, 2""").fetchall()
    return {f"{schema}.{table}": list(columns) for schema, table, columns in rows}


def process_export_requests(
    database_url: str,
    storage: StorageApi,
    *,
    cap_bytes: int = DEFAULT_CAP_BYTES,
    workdir: Path | None = None,
    archive_bucket: ArchiveBucket | None = None,
) -> list[ExportResult]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        pending = conn.execute(
            "select id, user_id from private.data_exports where status = 'requested' order by requested_at"
        ).fetchall()
    return [
        build_export(
            database_url,
            storage,
            str(export_id),
            user_id,
            cap_bytes=cap_bytes,
            workdir=workdir,
            archive_bucket=archive_bucket,
        )
        for export_id, user_id in pending
    ]


def build_export(
    database_url: str,
    storage: StorageApi,
    export_id: str,
    user_id: uuid.UUID,
    *,
    cap_bytes: int = DEFAULT_CAP_BYTES,
    workdir: Path | None = None,
    archive_bucket: ArchiveBucket | None = None,
) -> ExportResult:
    with (
        psycopg.connect(database_url, autocommit=True) as conn,
        tempfile.TemporaryDirectory(dir=workdir, prefix="export-") as folder,
    ):
        archive = Path(folder) / "export.zip"
        try:
            _write_archive(conn, storage, user_id, archive, cap_bytes, archive_bucket)
            size = archive.stat().st_size
            if size > cap_bytes:
                raise ExportRefused(f"the archive is {size} bytes, over the export cap of {cap_bytes} bytes")
            name = f"{user_id}/exports/{export_id}.zip"
            with archive.open("rb") as source:
                try:
                    upload_file(storage, EXPORT_BUCKET, name, source, "application/zip")
                except StorageWriteRefused as exc:
                    if exc.over_quota:
                        raise ExportRefused(
                            f"the archive ({size} bytes) does not fit in the storage limit; delete "
                            "documents or upgrade, then ask again"
                        ) from None
                    raise
        except ExportRefused as refused:
            conn.execute(
                "update private.data_exports set status = 'failed', error = %s where id = %s", (str(refused), export_id)
            )
            return ExportResult(export_id, "failed", error=str(refused))
        conn.execute(
            "update private.data_exports set status = 'ready', object_name = %s, size_bytes = %s, "
            "expires_at = now() + make_interval(days => %s), error = null where id = %s",
            (name, size, ARCHIVE_DAYS, export_id),
        )
        return ExportResult(export_id, "ready", size_bytes=size)


def _write_archive(
    conn: psycopg.Connection,
    storage: StorageApi,
    user_id: uuid.UUID,
    zip_path: Path,
    cap_bytes: int,
    archive: ArchiveBucket | None,
) -> None:
    files = conn.execute(
        "select bucket_id, name, private.object_size(metadata) from storage.objects "
        "where name like private.like_prefix(%s) and bucket_id <> %s order by bucket_id, name",
        (f"{user_id}/", EXPORT_BUCKET),
    ).fetchall()
    # Files in the archive bucket are the person's too (ops/lifecycle/archive.py); one mid-restore may be in both.
    in_storage = {(bucket, name) for bucket, name, _ in files}
    archived = [
        (path, size)
        for path, size in conn.execute(
            "select file_path, size_bytes from private.document_archive where user_id = %s "
            "and state in ('archived', 'restoring') order by file_path",
            (user_id,),
        )
        if (DOCUMENTS_BUCKET, path) not in in_storage
    ]
    if archived and archive is None:
        raise LifecycleError(
            f"{len(archived)} of the person's files are in the archive bucket: set ARCHIVE_BUCKET (stack output "
            "archiveBucket) and AWS credentials"
        )
    total = sum(int(size) for _, _, size in files) + sum(int(size) for _, size in archived)
    if total > cap_bytes:
        raise ExportRefused(f"the files alone are {total} bytes, over the export cap of {cap_bytes} bytes")
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        zf.writestr("README.txt", "Layout of the archive" + LAYOUT + "\n")
        account = conn.execute(
            "select jsonb_build_object('id', id, 'email', email, 'phone', phone, 'created_at', "
            "created_at, 'last_sign_in_at', last_sign_in_at) from auth.users where id = %s",
            (user_id,),
        ).fetchone()
        zf.writestr("account.json", json.dumps(account[0] if account else None, indent=2))
        for table, columns in person_tables(conn).items():
            schema, name = table.split(".")
            condition = sql.SQL(" or ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in columns)
            query = sql.SQL("select to_jsonb(t) from {}.{} t where {}").format(
                sql.Identifier(schema), sql.Identifier(name), condition
            )
            with zf.open(f"rows/{name}.json", "w", force_zip64=True) as entry:
                entry.write(b"[")
                for index, (row,) in enumerate(conn.execute(query, [user_id] * len(columns))):
                    entry.write((b",\n" if index else b"\n") + json.dumps(row).encode())
                entry.write(b"\n]\n")
        for bucket, name, _ in files:
            if object_key_problem(name, str(user_id)):
                continue  # never fetched: Storage would resolve such a key to another object
            with zf.open(f"files/{bucket}/{name}", "w", force_zip64=True) as entry:
                download_to(storage, bucket, name, entry)
        for path, _ in archived:
            assert archive is not None
            with zf.open(f"files/{DOCUMENTS_BUCKET}/{path}", "w", force_zip64=True) as entry:
                archive.get_into(path, entry)
