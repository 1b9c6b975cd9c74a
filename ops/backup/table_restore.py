"""Putting back one table's rows from a dump, for the accidental-deletion scenario (guide 000 section 9.3).

The rows are read from the dump (`pg_restore --data-only` of that table), loaded into a temporary
staging table, and merged in one transaction: by primary key, rows missing are inserted, changed rows
updated in place (so no ON DELETE CASCADE fires) and, unless --only-missing, rows absent from the
backup deleted. The table's own triggers are paused, since a restore puts back data as it was instead
of running business logic again. Nothing outside the table changes: if deleting a newer row would
cascade to (or be refused by) rows of another table, the restore stops and changes nothing.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql

from ops.backup.errors import BackupError, RestoreRefused
from ops.backup.manifest import Manifest
from ops.backup.pgtools import Connection, PgClient, scalar

_COPY_CHUNK = 1024 * 1024
STAGING = "ops_restore_staging"
# Always schema-qualified: an unqualified drop could hit a real table of that name.
STAGING_ID = sql.Identifier("pg_temp", STAGING)


@dataclass(frozen=True)
class TableRestoreReport:
    table: str
    rows_in_backup: int
    inserted: int
    updated: int
    deleted: int


def qualified(table: str) -> tuple[str, str]:
    schema, dot, name = table.partition(".")
    return (schema, name) if dot else ("public", schema)


def restore_tables(
    dump: Path, manifest: Manifest, target_url: str, pg: PgClient, tables: list[str], *, only_missing: bool = False
) -> list[TableRestoreReport]:
    """Replace (or complete) each table's rows from the dump, all in one transaction, in the given order."""
    names = [qualified(table) for table in tables]
    unknown = [f"{s}.{t}" for s, t in names if f"{s}.{t}" not in manifest.row_counts]
    if unknown:
        known = ", ".join(sorted(manifest.row_counts)[:20])
        raise BackupError(f"table(s) {', '.join(unknown)} are not in this backup; tables it holds: {known}")
    connection = Connection.from_url(target_url)
    reports: list[TableRestoreReport] = []
    with psycopg.connect(connection.psycopg_conninfo, autocommit=False) as db:
        for schema, table in names:
            reports.append(_restore_one(db, dump, pg, schema, table, only_missing=only_missing))
        # Leaving the block commits; any exception above rolls everything back.
    return reports


def _restore_one(
    db: psycopg.Connection, dump: Path, pg: PgClient, schema: str, table: str, *, only_missing: bool
) -> TableRestoreReport:
    target = sql.Identifier(schema, table)
    columns = _columns(db, schema, table)
    keys = _primary_key(db, schema, table)
    if not keys:
        raise RestoreRefused(
            f"{schema}.{table} has no primary key, so its rows cannot be matched with the "
            "backup's; restore the whole database into a scratch database and copy them by hand"
        )
    db.execute(sql.SQL("drop table if exists {}").format(STAGING_ID))
    db.execute(
        sql.SQL("create temp table {} on commit drop as select {} from {} with no data").format(
            STAGING_ID, _idents(columns), target
        )
    )
    backup_rows = _load_staging(db, dump, pg, schema, table, set(columns))
    db.execute(sql.SQL("create index on {} ({})").format(STAGING_ID, _idents(keys)))
    db.execute(sql.SQL("analyze {}").format(STAGING_ID))
    paused = _pause_triggers(db, schema, table)
    deleted = 0
    if not only_missing:
        _refuse_if_referenced(db, schema, table, keys)
        deleted = _execute(
            db,
            sql.SQL("delete from {t} as t where not exists (select 1 from {s} as s where {m})").format(
                t=target, s=STAGING_ID, m=_match(keys)
            ),
        )
    updatable = [c for c in columns if c not in keys]
    # Only rows that differ are rewritten: unchanged rows keep their tuple, and the report counts real edits.
    update = (
        sql.SQL("nothing")
        if only_missing or not updatable
        else sql.SQL("update set {sets} where ({current}) is distinct from ({incoming})").format(
            sets=sql.SQL(", ").join(sql.SQL("{c} = excluded.{c}").format(c=sql.Identifier(c)) for c in updatable),
            current=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in updatable),
            incoming=sql.SQL(", ").join(sql.SQL("excluded.{}").format(sql.Identifier(c)) for c in updatable),
        )
    )
    before_insert = _count(db, target)
    written = _execute(
        db,
        sql.SQL(
            "insert into {t} as t ({cols}) overriding system value select {cols} from {s} "
            "on conflict ({keys}) do {update}"
        ).format(t=target, cols=_idents(columns), s=STAGING_ID, keys=_idents(keys), update=update),
    )
    inserted = _count(db, target) - before_insert
    for trigger in paused:
        db.execute(sql.SQL("alter table {} enable trigger {}").format(target, sql.Identifier(trigger)))
    return TableRestoreReport(
        table=f"{schema}.{table}",
        rows_in_backup=backup_rows,
        inserted=inserted,
        updated=written - inserted,
        deleted=deleted,
    )


def _load_staging(
    db: psycopg.Connection, dump: Path, pg: PgClient, schema: str, table: str, target_columns: set[str]
) -> int:
    argv = [pg.path("pg_restore"), "--data-only", f"--schema={schema}", f"--table={table}", "--file=-", str(dump)]
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None
        try:
            header = _find_copy_header(proc.stdout)
            if header is None:
                raise BackupError(
                    f"the dump holds no rows section for {schema}.{table}; the backup is incomplete, pick an older one"
                )
            backup_columns = _parse_columns(header)
            if set(backup_columns) != target_columns:
                raise RestoreRefused(
                    f"{schema}.{table}'s columns changed since the backup (backup: {sorted(backup_columns)}, "
                    f"now: {sorted(target_columns)}); restore into a scratch database with `ops restore "
                    "--target-url` and move the rows by hand"
                )
            rows = 0
            with db.cursor().copy(
                sql.SQL("copy {} ({}) from stdin").format(STAGING_ID, _idents(backup_columns))
            ) as copy:
                pending: list[bytes] = []
                size = 0
                for line in proc.stdout:
                    if line == b"\\.\n":
                        break
                    pending.append(line)
                    size += len(line)
                    rows += 1
                    if size >= _COPY_CHUNK:
                        copy.write(b"".join(pending))
                        pending, size = [], 0
                copy.write(b"".join(pending))
            proc.stdout.read()
        finally:
            exit_code = proc.wait()
        if exit_code != 0:
            stderr.seek(0)
            raise BackupError(
                f"pg_restore could not read {schema}.{table} from the dump (exit {exit_code}): "
                f"{stderr.read().decode(errors='replace').strip()[-800:]}"
            )
    return rows


def _find_copy_header(stream: IO[bytes]) -> str | None:
    for line in stream:
        if line.startswith(b"COPY ") and line.rstrip().endswith(b"FROM stdin;"):
            return line.decode().rstrip()
    return None


def _parse_columns(header: str) -> list[str]:
    """Column names from `COPY schema.table (a, "B c") FROM stdin;`, unquoted."""
    inner = header[header.rindex("(", 0, header.rindex(" FROM stdin;")) + 1 : header.rindex(")")]
    names: list[str] = []
    current, quoted, index = "", False, 0
    while index < len(inner):
        char = inner[index]
        if quoted:
            if char == '"' and inner[index + 1 : index + 2] == '"':
                current += '"'
                index += 1
            elif char == '"':
                quoted = False
            else:
                current += char
        elif char == '"':
            quoted = True
        elif char == ",":
            names.append(current.strip())
            current = ""
        else:
            current += char
        index += 1
    names.append(current.strip())
    return [name for name in names if name]


def _columns(db: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = db.execute(
        "select a.attname from pg_attribute a where a.attrelid = to_regclass(%s) and a.attnum > 0 "
        "and not a.attisdropped and a.attgenerated = '' order by a.attnum",
        [sql.Identifier(schema, table).as_string(db)],
    ).fetchall()
    if not rows:
        raise RestoreRefused(
            f"{schema}.{table} does not exist in the target database; run the migrations "
            "first (`pulumi up` or `python -m ops migrate`), or do a full restore"
        )
    return [str(row[0]) for row in rows]


def _primary_key(db: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = db.execute(
        "select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
        "and a.attnum = any(i.indkey) where i.indrelid = to_regclass(%s) and i.indisprimary "
        "order by array_position(i.indkey::int2[], a.attnum)",
        [sql.Identifier(schema, table).as_string(db)],
    ).fetchall()
    return [str(row[0]) for row in rows]


def _refuse_if_referenced(db: psycopg.Connection, schema: str, table: str, keys: list[str]) -> None:
    """Deleting rows newer than the backup must not reach into other tables (cascade, set null, refusal)."""
    references = db.execute(
        "select (select format('%%I.%%I', n.nspname, r.relname) from pg_class r join pg_namespace n "
        "        on n.oid = r.relnamespace where r.oid = c.conrelid), c.conname, "
        "  array(select attname from pg_attribute where attrelid = c.conrelid and attnum = any(c.conkey) "
        "        order by array_position(c.conkey, attnum)), "
        "  array(select attname from pg_attribute where attrelid = c.confrelid and attnum = any(c.confkey) "
        "        order by array_position(c.confkey, attnum)) "
        "from pg_constraint c where c.contype = 'f' and c.confrelid = to_regclass(%s) "
        "and c.conrelid <> c.confrelid",
        [sql.Identifier(schema, table).as_string(db)],
    ).fetchall()
    for child, constraint, child_cols, parent_cols in references:
        query = sql.SQL(
            "select count(*) from {child} as c where ({ccols}) in (select {pcols} from {t} as t "
            "where not exists (select 1 from {s} as s where {m}))"
        ).format(
            child=sql.SQL(child),
            ccols=sql.SQL(", ").join(sql.SQL("c.{}").format(sql.Identifier(x)) for x in child_cols),
            pcols=sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(x)) for x in parent_cols),
            t=sql.Identifier(schema, table),
            s=STAGING_ID,
            m=_match(keys),
        )
        count = int(scalar(db, query))
        if count:
            raise RestoreRefused(
                f"replacing {schema}.{table} would delete rows that {count} row(s) of {child} reference "
                f"({constraint}); nothing was changed. Restore {child} too (list it after {schema}.{table} "
                "with another --table), or pass --only-missing to put back deleted rows and keep newer ones"
            )


def _pause_triggers(db: psycopg.Connection, schema: str, table: str) -> list[str]:
    names = [
        str(row[0])
        for row in db.execute(
            "select tgname from pg_trigger where tgrelid = to_regclass(%s) and not tgisinternal and tgenabled <> 'D'",
            [sql.Identifier(schema, table).as_string(db)],
        ).fetchall()
    ]
    for name in names:
        db.execute(
            sql.SQL("alter table {} disable trigger {}").format(sql.Identifier(schema, table), sql.Identifier(name))
        )
    return names


def _execute(db: psycopg.Connection, statement: sql.Composed) -> int:
    cursor = db.execute(statement)
    return max(0, cursor.rowcount)


def _count(db: psycopg.Connection, target: sql.Composable) -> int:
    return int(scalar(db, sql.SQL("select count(*) from {}").format(target)))


def _idents(names: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(name) for name in names)


def _match(keys: list[str]) -> sql.Composable:
    return sql.SQL(" and ").join(sql.SQL("s.{k} = t.{k}").format(k=sql.Identifier(k)) for k in keys)
