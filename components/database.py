"""The platform's database schema: every file of sql/migrations applied by the migrations provider."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

import dbmigrate
from providers.migrations import SchemaMigrations, SchemaMigrationsArgs
from providers.retention_policies import RetentionPolicies, RetentionPoliciesArgs
from stackconfig.model import StackConfig
from stackconfig.paths import PROJECT_ROOT
from stackconfig.retention import RetentionConfig


@dataclass(frozen=True, kw_only=True)
class DatabaseArgs:
    connection: pulumi.Input[str]
    migrations_dir: str = "sql/migrations"
    lock_timeout_seconds: int = 30
    allow_out_of_order: bool = False
    accept_changed_versions: tuple[str, ...] = field(default_factory=tuple)
    retention: RetentionConfig = field(default_factory=RetentionConfig)

    @classmethod
    def from_config(cls, config: StackConfig, connection: pulumi.Input[str]) -> DatabaseArgs:
        """From the stack's `database` and `retention` sections and where to connect."""
        return cls(
            retention=config.retention,
            connection=connection,
            migrations_dir=config.database.migrations_dir,
            lock_timeout_seconds=config.database.lock_timeout_seconds,
            allow_out_of_order=config.database.allow_out_of_order,
            accept_changed_versions=config.database.accept_changed_versions,
        )


class Database(pulumi.ComponentResource):
    """Applies the migrations in `migrations_dir` to the database behind `connection`."""

    applied_count: pulumi.Output[int]

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:database:Database", name, None, opts)
        # The file set is read here, in the program, so a preview lists exactly the versions an apply would run
        # and a syntax error stops the preview before anything is touched.
        files = dbmigrate.load_files(PROJECT_ROOT / args.migrations_dir)
        dbmigrate.parse_all(files)
        self.migrations = SchemaMigrations(
            f"{name}-migrations",
            SchemaMigrationsArgs(
                connection=args.connection,
                migrations_dir=args.migrations_dir,
                migrations=files,
                lock_timeout_seconds=args.lock_timeout_seconds,
                allow_out_of_order=args.allow_out_of_order,
                accept_changed_versions=args.accept_changed_versions,
            ),
            pulumi.ResourceOptions(parent=self),
        )
        # The stack's retention periods, in the table the daily retention job reads (after the migration made it).
        self.retention = RetentionPolicies(
            f"{name}-retention",
            RetentionPoliciesArgs(connection=args.connection, policies=args.retention.policies()),
            pulumi.ResourceOptions(parent=self, depends_on=[self.migrations]),
        )
        self.applied_count = self.migrations.appliedCount
        self.register_outputs({"appliedCount": self.applied_count})
