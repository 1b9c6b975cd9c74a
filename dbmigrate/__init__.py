"""The SQL migrations engine, shared by the Pulumi provider and the operator CLI."""

from dbmigrate.engine import (
    ADVISORY_LOCK_KEY,
    ApplyReport,
    MigrationOptions,
    apply,
    load_files,
    parse_all,
    read_history,
    status,
)
from dbmigrate.errors import (
    DatabaseUnreachable,
    MigrationError,
    MigrationFailed,
    MigrationFileError,
    MigrationLockTimeout,
    MigrationRefused,
)
from dbmigrate.files import MigrationFile, checksum_of, discover
from dbmigrate.plan import AppliedMigration, Plan, make_plan

__all__ = [
    "ADVISORY_LOCK_KEY",
    "AppliedMigration",
    "ApplyReport",
    "DatabaseUnreachable",
    "MigrationError",
    "MigrationFailed",
    "MigrationFile",
    "MigrationFileError",
    "MigrationLockTimeout",
    "MigrationOptions",
    "MigrationRefused",
    "Plan",
    "apply",
    "checksum_of",
    "discover",
    "load_files",
    "make_plan",
    "parse_all",
    "read_history",
    "status",
]
