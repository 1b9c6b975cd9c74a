"""`python -m ops migrate`: the migrations engine by hand, for local work and disaster recovery."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

import dbmigrate
from ops.commands.support import fail, usage_error
from ops.exit_codes import EXIT_OK
from stackconfig.paths import PROJECT_ROOT


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "migrate",
        help="apply pending migrations (or show their status)",
        description="Apply sql/migrations to a database, the way the stack's deployment does.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL URL (default: $DATABASE_URL); prefer the variable, arguments show in ps",
    )
    parser.add_argument("--migrations-dir", type=Path, default=PROJECT_ROOT / "sql" / "migrations")
    parser.add_argument("--status", action="store_true", help="list applied and pending versions, change nothing")
    parser.add_argument("--dry-run", action="store_true", help="say what would be applied, change nothing")
    parser.add_argument("--lock-timeout", type=float, default=30.0, metavar="SECONDS")
    parser.add_argument("--allow-out-of-order", action="store_true")
    parser.add_argument(
        "--accept-changed",
        action="append",
        default=[],
        metavar="VERSION",
        help="emergency: accept this applied version's edited file as it is now (repeatable)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        return usage_error("give --database-url or set DATABASE_URL")
    options = dbmigrate.MigrationOptions(
        lock_timeout_seconds=args.lock_timeout,
        allow_out_of_order=args.allow_out_of_order,
        accept_changed_versions=frozenset(args.accept_changed),
        dry_run=args.dry_run or args.status,
    )
    try:
        files = dbmigrate.load_files(args.migrations_dir)
        report = dbmigrate.apply(args.database_url, files, options)
    except dbmigrate.MigrationError as exc:
        return fail(str(exc))
    plan = report.plan
    if args.status:
        for row in plan.applied:
            print(f"applied  {row.version}  {row.name}")
        for migration in plan.pending:
            print(f"pending  {migration.version}  {migration.name}")
        _print_bookkeeping(plan.checksums_to_record, plan.upgrade_checksum_table, would=True)
        return EXIT_OK
    if args.dry_run:
        for migration in plan.pending:
            print(f"would apply {migration.label}")
        _print_bookkeeping(plan.checksums_to_record, plan.upgrade_checksum_table, would=True)
        if plan.is_noop:
            print("nothing to apply")
        return EXIT_OK
    _print_bookkeeping([(v, "") for v in report.recorded_checksums], report.upgraded_checksum_table, would=False)
    for index in report.dropped_invalid_indexes:
        print(f"dropped invalid index {index} (left by an earlier failed run) and built it again")
    for version in report.applied_now:
        print(f"applied {version}")
    if not report.applied_now:
        print("nothing to apply")
    return EXIT_OK


def _print_bookkeeping(checksums: Sequence[tuple[str, str]], upgrade: bool, *, would: bool) -> None:
    """The writes that apply no migration, said out loud (a run that records them is not a silent no-op)."""
    if upgrade:
        print(
            f"{'would upgrade' if would else 'upgraded'} supabase_migrations.schema_migration_checksums: "
            "a digest column added, the foreign key onto schema_migrations dropped (it broke "
            "`supabase migration repair`)"
        )
    if checksums:
        versions = ", ".join(version for version, _ in checksums)
        print(
            f"{'would record' if would else 'recorded'} our checksum of {len(checksums)} version(s) applied by "
            f"another tool (the Supabase CLI) or rewritten by its `migration repair`: {versions}; no SQL of "
            "theirs is run again, later edits of these files will be refused"
        )
