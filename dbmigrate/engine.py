"""Applies sql/migrations the way `supabase db push` does, with the checks a production deploy needs.

History lives in supabase_migrations.schema_migrations(version, statements, name), exactly as the Supabase
CLI keeps it, so both tools agree about what is applied. Our checksum of each applied file lives beside it in
supabase_migrations.schema_migration_checksums, a table of ours, so the CLI's table keeps its own shape.

A run: read the history (one round trip, no lock, no DDL); if nothing is pending, stop. Otherwise take a
session advisory lock, read the history again under it (another deploy may have just applied files), and
apply each pending file in its own transaction together with its history and checksum rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors

from dbmigrate.connection import connect, describe_target
from dbmigrate.errors import MigrationFailed, MigrationLockTimeout
from dbmigrate.files import MigrationFile, discover
from dbmigrate.plan import AppliedMigration, Plan, make_plan
from dbmigrate.statements import Statement

log = logging.getLogger(__name__)

# One fixed key for "the migrations of this database"; any deploy of this program takes the same one.
ADVISORY_LOCK_KEY = 7_146_805_413_256_361_472

HISTORY_QUERY = """
select m.version, m.name, c.checksum
from supabase_migrations.schema_migrations m
left join supabase_migrations.schema_migration_checksums c using (version)
order by m.version
"""
HISTORY_ONLY_QUERY = "select version, name, null::text from supabase_migrations.schema_migrations order by version"

# The same statements the Supabase CLI runs, so a database first touched by either tool suits both.
CREATE_HISTORY_TABLES = [
    "create schema if not exists supabase_migrations",
    "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
    "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
    "alter table supabase_migrations.schema_migrations add column if not exists name text",
    """create table if not exists supabase_migrations.schema_migration_checksums (
        version text primary key references supabase_migrations.schema_migrations (version) on delete cascade,
        checksum text not null,
        applied_at timestamptz not null default now()
    )""",
]


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
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.applied_now or self.plan.checksums_to_record)


def load_files(migrations_dir: Path) -> list[MigrationFile]:
    """Discovers the files (names, versions, contents); parsing waits until we know which are pending."""
    return discover(migrations_dir)


def parse_all(files: Iterable[MigrationFile]) -> None:
    """Parses every file, so a syntax error anywhere stops the run before anything is applied."""
    for migration in files:
        migration.statements()


def read_history(conn: psycopg.Connection) -> list[AppliedMigration]:
    """What the database holds. One round trip on a database this program has migrated before."""
    try:
        rows = conn.execute(HISTORY_QUERY).fetchall()
    except pg_errors.UndefinedTable:
        # Either nothing was ever applied, or only the Supabase CLI applied files (no checksum table yet).
        try:
            rows = conn.execute(HISTORY_ONLY_QUERY).fetchall()
        except pg_errors.UndefinedTable:
            return []
    return [AppliedMigration(version=v, name=n or "", checksum=c) for v, n, c in rows]


def status(url: str, files: Sequence[MigrationFile], options: MigrationOptions = MigrationOptions()) -> Plan:
    with connect(url, lock_timeout_seconds=options.lock_timeout_seconds) as conn:
        return make_plan(files, read_history(conn), options.allow_out_of_order, options.accept_changed_versions)


def apply(
    url: str, files_or_dir: Path | Sequence[MigrationFile], options: MigrationOptions = MigrationOptions()
) -> ApplyReport:
    """Applies every pending file; returns what was applied. Raises a MigrationError subclass otherwise."""
    started = time.perf_counter()
    files = load_files(files_or_dir) if isinstance(files_or_dir, Path) else list(files_or_dir)
    with connect(url, lock_timeout_seconds=options.lock_timeout_seconds) as conn:
        plan = make_plan(files, read_history(conn), options.allow_out_of_order, options.accept_changed_versions)
        report = ApplyReport(plan=plan)
        if options.dry_run or plan.is_noop:
            report.seconds = time.perf_counter() - started
            return report
        _take_lock(conn, url, options.lock_timeout_seconds)
        try:
            _ensure_history_tables(conn)
            # Under the lock, the history is final: another deploy may have applied files meanwhile.
            plan = make_plan(files, read_history(conn), options.allow_out_of_order, options.accept_changed_versions)
            report.plan = plan
            parse_all(plan.pending)
            _record_checksums(conn, plan.checksums_to_record)
            for migration in plan.pending:
                _apply_file(conn, migration)
                report.applied_now.append(migration.version)
                log.info("applied %s", migration.label)
        finally:
            if not conn.broken:
                conn.execute("select pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    report.seconds = time.perf_counter() - started
    return report


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
    """Checksums for files applied by another tool, and for edited files an operator explicitly accepted."""
    rows = list(versions_and_checksums)
    if not rows:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into supabase_migrations.schema_migration_checksums (version, checksum) values (%s, %s) "
            "on conflict (version) do update set checksum = excluded.checksum, applied_at = now()",
            rows,
        )


def _apply_file(conn: psycopg.Connection, migration: MigrationFile) -> None:
    statements = migration.statements()
    with conn.transaction():
        for statement in statements:
            try:
                conn.execute(statement.sql.encode())  # bytes: no client-side placeholder parsing of '%'
            except pg_errors.LockNotAvailable as exc:
                raise MigrationLockTimeout(
                    f"{migration.label}, line {statement.line}: waited longer than lock_timeout for a table lock "
                    f"({exc.diag.message_primary}); nothing of this file was applied. Retry when the table is "
                    "not busy, or raise database.lockTimeoutSeconds"
                ) from None
            except psycopg.Error as exc:
                raise _failure(migration, statement, exc, conn) from None
        conn.execute(
            "insert into supabase_migrations.schema_migrations (version, name, statements) values (%s, %s, %s)",
            (migration.version, migration.name, [s.sql for s in statements]),
        )
        conn.execute(
            "insert into supabase_migrations.schema_migration_checksums (version, checksum) values (%s, %s)",
            (migration.version, migration.checksum),
        )


def _failure(
    migration: MigrationFile, statement: Statement, exc: psycopg.Error, conn: psycopg.Connection
) -> MigrationFailed:
    line = statement.line
    position = exc.diag.statement_position
    if position:
        line += statement.sql.count("\n", 0, int(position) - 1)
    first_line = statement.sql.strip().splitlines()[0][:120] if statement.sql.strip() else ""
    detail = exc.diag.message_primary or str(exc).strip()
    context = f" ({exc.diag.context.splitlines()[0]})" if exc.diag.context else ""
    message = (
        f"{migration.label}, line {line}: {detail}{context}\n  in statement: {first_line}\n"
        "Nothing of this file was applied; fix it and run again."
    )
    if conn.broken:
        message += " The connection to the database was lost."
    return MigrationFailed(message, version=migration.version, line=line)
