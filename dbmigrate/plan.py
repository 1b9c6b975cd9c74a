"""Deciding what to apply from the files and the history alone: pure, so it is tested without a database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dbmigrate.errors import MigrationRefused
from dbmigrate.files import MigrationFile


@dataclass(frozen=True)
class AppliedMigration:
    version: str
    name: str
    # None: applied by another tool (the Supabase CLI), or its history row rewritten by one since we recorded it
    checksum: str | None


@dataclass(frozen=True)
class Plan:
    applied: tuple[AppliedMigration, ...]
    pending: tuple[MigrationFile, ...]
    # (version, checksum) rows to write: files applied by another tool, and explicitly accepted edits.
    checksums_to_record: tuple[tuple[str, str], ...] = ()
    # Our checksum table still has the shape this engine first gave it (a foreign key the CLI trips on).
    upgrade_checksum_table: bool = False

    @property
    def is_noop(self) -> bool:
        return not self.pending and not self.checksums_to_record and not self.upgrade_checksum_table


def make_plan(
    files: Sequence[MigrationFile],
    history: Sequence[AppliedMigration],
    allow_out_of_order: bool = False,
    accept_changed_versions: frozenset[str] = frozenset(),
    *,
    upgrade_checksum_table: bool = False,
) -> Plan:
    by_version = {migration.version: migration for migration in files}
    applied_versions = {row.version for row in history}

    unknown = sorted(applied_versions - set(by_version))
    if unknown:
        raise MigrationRefused(
            f"the database has applied migration version(s) {', '.join(unknown)} that no file in the migrations "
            "directory has; restore the missing file(s) from version control (the Supabase CLI refuses this too, "
            "`supabase migration repair` is its way to mark a version reverted)"
        )

    to_record: list[tuple[str, str]] = []
    for row in history:
        migration = by_version[row.version]
        if row.checksum is None:
            to_record.append((row.version, migration.checksum))
        elif row.checksum != migration.checksum:
            if row.version not in accept_changed_versions:
                raise MigrationRefused(
                    f"{migration.label} was edited after it was applied (checksum differs from the one recorded "
                    "when it ran); put the change in a new migration file and restore this one. In an emergency, "
                    f'accept the edited file with database.acceptChangedVersions: ["{row.version}"]'
                )
            to_record.append((row.version, migration.checksum))

    pending = tuple(migration for migration in files if migration.version not in applied_versions)
    newest_applied = max(applied_versions, default=None)
    late = [m for m in pending if newest_applied is not None and m.version < newest_applied]
    if late and not allow_out_of_order:
        raise MigrationRefused(
            f"{', '.join(m.label for m in late)} is older than the newest applied version {newest_applied}; give it "
            "a newer timestamp, or allow it once with database.allowOutOfOrder: true (`--allow-out-of-order`)"
        )
    return Plan(
        applied=tuple(history),
        pending=pending,
        checksums_to_record=tuple(to_record),
        upgrade_checksum_table=upgrade_checksum_table,
    )
