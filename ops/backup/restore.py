"""`ops restore` and `ops verify-backup`: a backup back into a database, checked against its manifest.

Checks come in two halves. Before anything is restored, the dump is downloaded and its size and SHA-256
must equal the manifest's: a truncated, corrupted or replaced dump is refused with the target untouched.
After the restore, the newest applied migration and every table's row count must equal the manifest's.
A full restore replays the dump through one psql transaction, so a failure leaves the target as it was.
"""

from __future__ import annotations

import hashlib
import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from ops.backup import dbstats
from ops.backup.errors import BackupError, BackupIntegrityError, RestoreRefused
from ops.backup.layout import BackupLocation
from ops.backup.manifest import Manifest
from ops.backup.pgtools import Connection, PgClient, scalar
from ops.backup.toc import parse_entry, restore_list
from ops.progress import Progress

log = logging.getLogger(__name__)
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FetchedBackup:
    location: BackupLocation
    manifest: Manifest
    dump: Path


def load_manifest(s3: Any, location: BackupLocation) -> Manifest:
    """The manifest at `location`, refused unless it names its own stack and only keys under its own prefix."""
    source = f"s3://{location.bucket}/{location.manifest_key}"
    raw = s3.get_object(Bucket=location.bucket, Key=location.manifest_key)["Body"].read()
    manifest = Manifest.from_json(raw, source=source)
    check_bound_to(manifest, location, source=source)
    return manifest


def check_bound_to(manifest: Manifest, location: BackupLocation, *, source: str) -> None:
    """A manifest is read only from its own prefix, but the keys inside it are data: a manifest that points
    at another stack's dump or index would restore that stack's data under this stack's name."""
    refusal = "; nothing was restored. Restore that stack's own backup (--stack), or use another backup"
    if manifest.stack != location.stack:
        raise BackupIntegrityError(
            f"{source} was written for stack {manifest.stack!r}, not {location.stack!r}{refusal}"
        )
    expected = {"dump_key": location.dump_key}
    if manifest.storage is not None:
        expected["storage.index_key"] = location.storage_index_key
    found = {
        "dump_key": manifest.dump_key,
        "storage.index_key": manifest.storage.index_key if manifest.storage else None,
    }
    for name, key in expected.items():
        if found[name] != key:
            raise BackupIntegrityError(
                f"{source} names {name} {found[name]!r}, which is not under "
                f"{location.prefix} (expected {key!r}){refusal}"
            )


def fetch_verified(s3: Any, location: BackupLocation, folder: Path) -> FetchedBackup:
    """Download the dump into `folder`, hashing as it arrives; refuse it unless it matches the manifest."""
    manifest = load_manifest(s3, location)
    target = folder / "database.dump"
    digest = hashlib.sha256()
    size = 0
    body = s3.get_object(Bucket=location.bucket, Key=manifest.dump_key)["Body"]
    progress = Progress(f"download {manifest.dump_key}", total=manifest.size_bytes)
    with target.open("wb") as out:
        for chunk in iter(lambda: body.read(_CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
            progress.advance(len(chunk))
    progress.finish()
    where = f"s3://{location.bucket}/{manifest.dump_key}"
    if size != manifest.size_bytes:
        target.unlink()
        raise BackupIntegrityError(
            f"{where} is {size} bytes but its manifest says {manifest.size_bytes} "
            "(truncated or replaced); nothing was restored. Use an older backup "
            "(--backup <timestamp>)"
        )
    if digest.hexdigest() != manifest.sha256:
        target.unlink()
        raise BackupIntegrityError(
            f"{where} has SHA-256 {digest.hexdigest()} but its manifest says "
            f"{manifest.sha256} (corrupted); nothing was restored. Use an older backup "
            "(--backup <timestamp>)"
        )
    return FetchedBackup(location, manifest, target)


def restore_database(fetched: FetchedBackup, target_url: str, pg: PgClient, *, clean: bool) -> None:
    """Replay the whole dump into the target in one transaction."""
    manifest = fetched.manifest
    connection = Connection.from_url(target_url)
    toc = _run(pg, ["pg_restore", "--list", str(fetched.dump)], "read the dump's table of contents")
    listing, data_only_entries = restore_list(toc, manifest.data_only_schemas)
    data_only_tables = sorted({f"{e.schema}.{e.tag.split(' ')[0]}" for e in data_only_entries})
    with psycopg.connect(connection.psycopg_conninfo, autocommit=True) as db:
        if not clean:
            _refuse_non_empty_target(db, manifest)
        partitioned = _partitioned_tables_in(db, listing) if clean else []
    with tempfile.TemporaryDirectory(prefix="ops-restore-") as work:
        list_file, prefix_file = Path(work) / "restore.list", Path(work) / "prefix.sql"
        list_file.write_text(listing)
        truncate = ""
        if clean and data_only_tables:
            tables = ", ".join(sql.Identifier(*t.split(".", 1)).as_string(None) for t in data_only_tables)
            # Platform-owned tables keep their definition: their rows are replaced, not the table.
            truncate = f"truncate table {tables} cascade;\n"
        if partitioned:
            # pg_restore --clean drops a partition's inherited primary key before its parent's, which
            # PostgreSQL refuses; dropping the partitioned tables first (their partitions go with them) leaves
            # its DROP ... IF EXISTS statements nothing to trip on, and the dump recreates all of it.
            tables = ", ".join(sql.Identifier(schema, name).as_string(None) for schema, name in partitioned)
            truncate += f"drop table if exists {tables} cascade;\n"
        prefix_file.write_text(truncate)
        restore_argv = [
            pg.path("pg_restore"),
            "--no-owner",
            f"--use-list={list_file}",
            "--file=-",
            *(["--clean", "--if-exists"] if clean else []),
            str(fetched.dump),
        ]
        psql_argv = [
            pg.path("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "--single-transaction",
            f"--dbname={connection.conninfo}",
            f"--file={prefix_file}",
            "--file=-",
        ]
        _pipe(restore_argv, psql_argv, connection.env)
    log.info("restored %s into %s", fetched.location.prefix, connection.label)


def _partitioned_tables_in(db: psycopg.Connection, listing: str) -> list[tuple[str, str]]:
    """The target's partitioned tables that the restore list recreates."""
    in_dump = {
        (e.schema, e.tag.split(" ")[0])
        for e in map(parse_entry, listing.splitlines())
        if e is not None and e.kind == "TABLE"
    }
    found = db.execute(
        "select n.nspname, c.relname from pg_catalog.pg_class c "
        "join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind = 'p' "
        "order by 1, 2"
    ).fetchall()
    return [(str(schema), str(name)) for schema, name in found if (schema, name) in in_dump]


def compare_with_manifest(target_url: str, manifest: Manifest, tables: list[str] | None = None) -> list[str]:
    """Differences between the target and the manifest: the newest migration and each table's row count."""
    problems: list[str] = []
    with psycopg.connect(Connection.from_url(target_url).psycopg_conninfo, autocommit=True) as db:
        if tables is None:
            newest = dbstats.newest_migration(db)
            if newest != manifest.newest_migration:
                problems.append(f"newest migration is {newest!r}, the backup's is {manifest.newest_migration!r}")
        for table in tables if tables is not None else sorted(manifest.row_counts):
            expected = manifest.row_counts[table]
            schema, _, name = table.partition(".")
            if scalar(db, "select to_regclass(%s)", [sql.Identifier(schema, name).as_string(db)]) is None:
                problems.append(f"{table} is missing (the backup has {expected} rows)")
                continue
            actual = int(scalar(db, sql.SQL("select count(*) from only {}").format(sql.Identifier(schema, name))))
            if actual != expected:
                problems.append(f"{table} has {actual} rows, the backup has {expected}")
    return problems


def _refuse_non_empty_target(db: psycopg.Connection, manifest: Manifest) -> None:
    in_the_way: list[str] = []
    for table in sorted(manifest.row_counts):
        schema, _, name = table.partition(".")
        ident = sql.Identifier(schema, name)
        if scalar(db, "select to_regclass(%s)", [ident.as_string(db)]) is None:
            continue
        if schema not in manifest.data_only_schemas:
            in_the_way.append(f"{table} exists")
        elif scalar(db, sql.SQL("select exists (select 1 from {})").format(ident)):
            in_the_way.append(f"{table} has rows")
    if in_the_way:
        shown = "; ".join(in_the_way[:8]) + ("; ..." if len(in_the_way) > 8 else "")
        raise RestoreRefused(
            f"the target database is not empty ({shown}); nothing was restored. Restore into "
            "an empty database, or pass --clean to replace what the backup holds"
        )


def _pipe(producer: list[str], consumer: list[str], env: dict[str, str]) -> None:
    with tempfile.TemporaryFile() as producer_err, tempfile.TemporaryFile() as consumer_err:
        first = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=producer_err, env=env)
        second = subprocess.Popen(consumer, stdin=first.stdout, stdout=subprocess.DEVNULL, stderr=consumer_err, env=env)
        assert first.stdout is not None
        first.stdout.close()  # the consumer owns the read end now
        consumer_code = second.wait()
        producer_code = first.wait()
        if producer_code or consumer_code:
            raise BackupError(
                "the restore failed and was rolled back, the target is unchanged: "
                f"{_text(consumer_err) or _text(producer_err) or f'exit codes {producer_code}/{consumer_code}'}"
            )


def _run(pg: PgClient, argv: list[str], what: str) -> str:
    result = subprocess.run([pg.path(argv[0]), *argv[1:]], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"could not {what}: {result.stderr.strip()[-800:]}")
    return result.stdout


def _text(stream: Any) -> str:
    stream.seek(0)
    return str(stream.read().decode(errors="replace").strip()[-1500:])


__all__ = [
    "BackupIntegrityError",
    "FetchedBackup",
    "RestoreRefused",
    "compare_with_manifest",
    "fetch_verified",
    "load_manifest",
    "restore_database",
]
