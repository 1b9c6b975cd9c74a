"""Applies sql/migrations the way `supabase db push` does, with the checks a production deploy needs.

History lives in supabase_migrations.schema_migrations(version, statements, name), exactly as the Supabase
CLI keeps it (the same statements, split as the CLI splits them), so both tools agree about what is applied.
Our checksum of each applied file lives beside it in supabase_migrations.schema_migration_checksums, a table
of ours with no foreign key onto the CLI's (its `migration repair` truncates that table), which also keeps a
digest of the history row it vouches for: a row the CLI rewrote (`migration repair --status applied`) or
deleted (`--status reverted`) is seen as such, never taken for one of ours.

A run: read the history (one round trip, no lock, no DDL); if nothing is pending, stop. Otherwise take a
session advisory lock, read the history again under it (another deploy may have just applied files), and
apply each pending file, after `RESET ALL` as the CLI does, in its own transaction together with its history
and checksum rows (or, for a file marked no-transaction, statement by statement, then its rows).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql

from dbmigrate.connection import connect, describe_target
from dbmigrate.errors import MigrationFailed, MigrationLockTimeout
from dbmigrate.files import MigrationFile, discover
from dbmigrate.plan import AppliedMigration, Plan, make_plan
from dbmigrate.statements import ConcurrentIndex, Statement

log = logging.getLogger(__name__)

# One fixed key for "the migrations of this database"; any deploy of this program takes the same one.
ADVISORY_LOCK_KEY = 7_146_805_413_256_361_472

# `ours` is false when the checksum row vouches for another version of the history row than the one there
# now: the Supabase CLI rewrote it, so the file's checksum is recorded again, as for a row the CLI wrote.
HISTORY_QUERY = """
select m.version, m.name, c.checksum, c.statements_digest is not distinct from md5(m.statements::text) as ours
from supabase_migrations.schema_migrations m
left join supabase_migrations.schema_migration_checksums c using (version)
order by m.version
"""
# The checksum table as this engine first made it (a foreign key, no digest column).
FIRST_SHAPE_HISTORY_QUERY = """
select m.version, m.name, c.checksum, true
from supabase_migrations.schema_migrations m
left join supabase_migrations.schema_migration_checksums c using (version)
order by m.version
"""
HISTORY_ONLY_QUERY = (
    "select version, name, null::text, true from supabase_migrations.schema_migrations order by version"
)

# The CLI's own statements first, so a database first touched by either tool suits both; then our table.
CREATE_HISTORY_TABLES = [
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
    """create table if not exists supabase_migrations.schema_migration_checksums (
        version text primary key,
        checksum text not null,
        statements_digest text,
        applied_at timestamptz not null default now()
    )""",
    # Databases this engine migrated before: the foreign key made `supabase migration repair` fail.
    "alter table supabase_migrations.schema_migration_checksums add column if not exists statements_digest text",
    "alter table supabase_migrations.schema_migration_checksums "
    "drop constraint if exists schema_migration_checksums_version_fkey",
]

RECORD_CHECKSUM = """
insert into supabase_migrations.schema_migration_checksums (version, checksum, statements_digest)
select version, %(checksum)s, md5(statements::text) from supabase_migrations.schema_migrations
where version = %(version)s
on conflict (version) do update
set checksum = excluded.checksum, statements_digest = excluded.statements_digest, applied_at = now()
"""

INVALID_INDEX_QUERY = """
select n.nspname, c.relname
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_namespace n on n.oid = c.relnamespace
where not i.indisvalid and c.relname = %(index)s
  and c.relnamespace = (select relnamespace from pg_class where oid = to_regclass(
      case when %(schema)s::text is null then quote_ident(%(table)s)
           else quote_ident(%(schema)s) || '.' || quote_ident(%(table)s) end))
"""


@dataclass(frozen=True)
class MigrationOptions:
    lock_timeout_seconds: float = 30.0
    allow_out_of_order: bool = False
    accept_changed_versions: frozenset[str] = frozenset()
    dry_run: bool = False


@dataclass
class ApplyReport:
    plan: Plan
    applied_now: list[str] = field(default_factory=list)
    # Writes that apply no file, said out loud: checksums recorded for versions another tool applied or
    # rewrote, and the checksum table brought to its current shape.
    recorded_checksums: list[str] = field(default_factory=list)
    upgraded_checksum_table: bool = False
    dropped_invalid_indexes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.applied_now or self.recorded_checksums or self.upgraded_checksum_table)


def load_files(migrations_dir: Path) -> list[MigrationFile]:
    """Discovers the files (names, versions, contents); parsing waits until we know which are pending."""
    return discover(migrations_dir)


def parse_all(files: Iterable[MigrationFile]) -> None:
    """Parses every file, so a syntax error anywhere stops the run before anything is applied."""
    for migration in files:
        migration.statements()


def read_history(conn: psycopg.Connection) -> list[AppliedMigration]:
    """What the database holds. One round trip on a database this program has migrated before."""
    return _read_history(conn)[0]


def _read_history(conn: psycopg.Connection) -> tuple[list[AppliedMigration], bool]:
    """The history, and whether our checksum table still has its first shape (and needs upgrading)."""
    first_shape = False
    try:
        rows = conn.execute(HISTORY_QUERY).fetchall()
    except pg_errors.UndefinedColumn:
        first_shape = True
        rows = conn.execute(FIRST_SHAPE_HISTORY_QUERY).fetchall()
    except pg_errors.UndefinedTable:
        # Either nothing was ever applied, or only the Supabase CLI applied files (no checksum table yet).
        try:
            rows = conn.execute(HISTORY_ONLY_QUERY).fetchall()
        except pg_errors.UndefinedTable:
            return [], False
    history = [AppliedMigration(version=v, name=n or "", checksum=c if ours else None) for v, n, c, ours in rows]
    return history, first_shape


def status(url: str, files: Sequence[MigrationFile], options: MigrationOptions = MigrationOptions()) -> Plan:
    with connect(url, lock_timeout_seconds=options.lock_timeout_seconds) as conn:
        history, first_shape = _read_history(conn)
        return _plan(files, history, options, first_shape)


def apply(
    url: str, files_or_dir: Path | Sequence[MigrationFile], options: MigrationOptions = MigrationOptions()
) -> ApplyReport:
    """Applies every pending file; returns what was applied. Raises a MigrationError subclass otherwise."""
    started = time.perf_counter()
    files = load_files(files_or_dir) if isinstance(files_or_dir, Path) else list(files_or_dir)
    with connect(url, lock_timeout_seconds=options.lock_timeout_seconds) as conn:
        history, first_shape = _read_history(conn)
        plan = _plan(files, history, options, first_shape)
        report = ApplyReport(plan=plan)
        if options.dry_run or plan.is_noop:
            report.seconds = time.perf_counter() - started
            return report
        parse_all(plan.pending)  # a file that cannot be parsed stops the run before anything is written
        _take_lock(conn, url, options.lock_timeout_seconds)
        try:
            _ensure_history_tables(conn)
            report.upgraded_checksum_table = first_shape
            # Under the lock, the history is final: another deploy may have applied files meanwhile.
            plan = _plan(files, _read_history(conn)[0], options, False)
            report.plan = plan
            parse_all(plan.pending)  # cached: only files another deploy added meanwhile are parsed here
            _record_checksums(conn, plan.checksums_to_record)
            report.recorded_checksums = [version for version, _ in plan.checksums_to_record]
            for migration in plan.pending:
                _reset_session(conn)
                if migration.in_transaction:
                    _apply_file(conn, migration)
                else:
                    _apply_without_transaction(conn, migration, report)
                report.applied_now.append(migration.version)
                log.info("applied %s", migration.label)
        finally:
            if not conn.broken:
                conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    report.seconds = time.perf_counter() - started
    return report


def _plan(
    files: Sequence[MigrationFile], history: Sequence[AppliedMigration], options: MigrationOptions, first_shape: bool
) -> Plan:
    return make_plan(
        files, history, options.allow_out_of_order, options.accept_changed_versions, upgrade_checksum_table=first_shape
    )


def _reset_session(conn: psycopg.Connection) -> None:
    """What one file set for the session (set_config(..., false), SET outside a transaction) must not change
    how the next runs: RESET ALL, as the CLI runs before each file, and RESET ROLE, which RESET ALL leaves."""
    conn.execute("reset all; reset role")


def _take_lock(conn: psycopg.Connection, url: str, lock_timeout_seconds: float) -> None:
    try:
        conn.execute("select pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
    except pg_errors.LockNotAvailable:
        raise MigrationLockTimeout(
            f"another deploy is applying migrations to {describe_target(url)} and held the migration lock for "
            f"more than {lock_timeout_seconds:g}s; wait for it to finish and run again, or raise "
            "database.lockTimeoutSeconds"
        ) from None


def _ensure_history_tables(conn: psycopg.Connection) -> None:
    with conn.transaction():
        for statement in CREATE_HISTORY_TABLES:
            conn.execute(statement)


def _record_checksums(conn: psycopg.Connection, versions_and_checksums: Iterable[tuple[str, str]]) -> None:
    """Checksums for files another tool applied (or rewrote the history of), and explicitly accepted edits."""
    rows = [{"version": version, "checksum": checksum} for version, checksum in versions_and_checksums]
    if not rows:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(RECORD_CHECKSUM, rows)


def _record_applied(
    conn: psycopg.Connection, migration: MigrationFile, statements: Sequence[Statement], *, in_transaction: bool
) -> None:
    try:
        conn.execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
            (migration.version, migration.name, [s.sql for s in statements]),
        )
        # An upsert: `supabase migration repair --status reverted` leaves our row behind when it deletes the CLI's.
        conn.execute(RECORD_CHECKSUM, {"version": migration.version, "checksum": migration.checksum})
    except psycopg.Error as exc:
        detail = exc.diag.message_primary or str(exc).strip()
        raise MigrationFailed(
            f"{migration.label}: its statements ran, but recording it in supabase_migrations.schema_migrations "
            f"failed: {detail}. {_as_sentence(_what_was_applied(in_transaction))} If the file ends with `set role` (or SET "
            "SESSION AUTHORIZATION), end it with `reset role`: the history is written in the same session",
            version=migration.version,
            line=statements[-1].line if statements else 1,
        ) from None


def _apply_file(conn: psycopg.Connection, migration: MigrationFile) -> None:
    statements = migration.statements()
    with conn.transaction():
        for statement in statements:
            _run(conn, migration, statement, in_transaction=True)
        _record_applied(conn, migration, statements, in_transaction=True)


def _apply_without_transaction(conn: psycopg.Connection, migration: MigrationFile, report: ApplyReport) -> None:
    """Each statement commits on its own; the history rows are written only once every one has succeeded,
    so a file that failed half-way runs again from its first statement (its statements are written to be
    repeatable: IF NOT EXISTS, and an index a failed CREATE INDEX CONCURRENTLY left invalid is rebuilt)."""
    statements = migration.statements()
    for statement in statements:
        if statement.concurrent_index is not None:
            dropped = _drop_invalid_index(conn, statement.concurrent_index)
            if dropped:
                log.warning(
                    "%s: dropped invalid index %s left by an earlier failed run; building it again",
                    migration.label,
                    dropped,
                )
                report.dropped_invalid_indexes.append(dropped)
        _run(conn, migration, statement, in_transaction=False)
    with conn.transaction():
        _record_applied(conn, migration, statements, in_transaction=False)


def _drop_invalid_index(conn: psycopg.Connection, index: ConcurrentIndex) -> str | None:
    row = conn.execute(
        INVALID_INDEX_QUERY, {"index": index.index, "schema": index.table_schema, "table": index.table}
    ).fetchone()
    if row is None:
        return None
    conn.execute(
        sql.SQL("drop index concurrently if exists {}.{}").format(sql.Identifier(row[0]), sql.Identifier(row[1]))
    )
    return f"{row[0]}.{row[1]}"


def _run(conn: psycopg.Connection, migration: MigrationFile, statement: Statement, *, in_transaction: bool) -> None:
    if statement.comment_only:
        return  # the CLI sends it and PostgreSQL does nothing with it
    try:
        conn.execute(statement.sql.encode())  # bytes: no client-side placeholder parsing of '%'
    except pg_errors.LockNotAvailable as exc:
        raise MigrationLockTimeout(
            f"{migration.label}, line {statement.line}: waited longer than lock_timeout for a table lock "
            f"({exc.diag.message_primary}); {_what_was_applied(in_transaction)} Retry when the table is not "
            "busy, or raise database.lockTimeoutSeconds"
        ) from None
    except psycopg.Error as exc:
        raise _failure(migration, statement, exc, conn, in_transaction) from None


def _what_was_applied(in_transaction: bool) -> str:
    if in_transaction:
        return "nothing of this file was applied."
    return (
        "the statements before this one stay applied (the file runs outside a transaction) and the file is "
        "not recorded as applied, so the next run starts it again from its first statement."
    )


def _as_sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _failure(
    migration: MigrationFile,
    statement: Statement,
    exc: psycopg.Error,
    conn: psycopg.Connection,
    in_transaction: bool = True,
) -> MigrationFailed:
    line = statement.line
    position = exc.diag.statement_position
    if position:
        line += statement.sql.count("\n", 0, int(position) - 1)
    lines = statement.sql.splitlines()
    if position:
        shown = lines[line - statement.line] if 0 <= line - statement.line < len(lines) else ""
    else:  # the first line that is not one of the statement's leading comments
        shown = next((text for text in lines if not text.lstrip().startswith("--")), "")
    detail = exc.diag.message_primary or str(exc).strip()
    context = f" ({exc.diag.context.splitlines()[0]})" if exc.diag.context else ""
    message = (
        f"{migration.label}, line {line}: {detail}{context}\n  in statement: {shown.strip()[:120]}\n"
        f"{_as_sentence(_what_was_applied(in_transaction))} Fix it and run again."
    )
    if conn.broken:
        message += " The connection to the database was lost."
    return MigrationFailed(message, version=migration.version, line=line)
