"""The dynamic provider that applies sql/migrations to a database.

Props (inputs), as every CRUD call receives them:
  connection        the PostgreSQL URL; a Pulumi secret (it holds the password)
  migrationsDir     where the files are, relative to the project root (not to the provider host's working
                    directory: the engine starts the host wherever the program's workspace is)
  migrations        [{version, name, checksum}] — what the program saw when it ran; a preview's diff of this
                    list is the list of pending versions
  lockTimeoutSeconds, allowOutOfOrder, acceptChangedVersions   the engine's options
Outputs add:
  applied           [{version, name, checksum}] as the database holds them (read() refreshes it)
  appliedCount      len(applied)
  recordedChecksums versions whose checksum the last apply recorded without running them (applied, or their
                    history row rewritten, by the Supabase CLI)
  droppedInvalidIndexes   indexes a failed no-transaction file had left invalid, dropped and built again
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

import dbmigrate
from dbmigrate.connection import describe_target
from stackconfig.paths import PROJECT_ROOT

ENGINE_INPUTS = ("migrationsDir", "lockTimeoutSeconds", "allowOutOfOrder", "acceptChangedVersions")


class MigrationsProvider(ResourceProvider):
    """Applies pending migrations on create and update. `delete` drops nothing: removing this resource from
    the program (or destroying the stack) leaves the schema and its data exactly as they are; tearing a
    database down is a deliberate act done outside `pulumi destroy`."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        migrations = news.get("migrations")
        if isinstance(migrations, list):
            for index, entry in enumerate(migrations):
                if not isinstance(entry, dict) or not {"version", "name", "checksum"} <= set(entry):
                    failures.append(CheckFailure(f"migrations[{index}]", "needs version, name and checksum"))
        timeout = news.get("lockTimeoutSeconds")
        if isinstance(timeout, (int, float)) and not 1 <= timeout <= 600:
            failures.append(CheckFailure("lockTimeoutSeconds", "must be between 1 and 600 seconds"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Compared with what the database held at the last apply or refresh, not with the last inputs,
        # so a refresh that finds a version missing makes the next deploy apply it again.
        wanted = _by_version(news.get("migrations"))
        held = _by_version(olds.get("applied", olds.get("migrations")))
        if wanted is None:  # unknown during a preview
            return DiffResult(changes=True)
        changed = wanted != held or any(olds.get(key) != news.get(key) for key in ENGINE_INPUTS)
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _apply(props)
        return CreateResult(id_=_resource_id(props["connection"]), outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with dbmigrate.engine.connect(props["connection"], lock_timeout_seconds=_timeout(props)) as conn:
            history = dbmigrate.read_history(conn)
        applied = [{"version": h.version, "name": h.name, "checksum": h.checksum or ""} for h in history]
        return ReadResult(id_=id_, outs={**props, "applied": applied, "appliedCount": len(applied)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Drops nothing (see the class docstring)."""


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    files = dbmigrate.load_files(PROJECT_ROOT / props["migrationsDir"])  # an absolute path stays as it is
    _refuse_unpreviewed(files, props.get("migrations") or [])
    options = dbmigrate.MigrationOptions(
        lock_timeout_seconds=_timeout(props),
        allow_out_of_order=bool(props.get("allowOutOfOrder", False)),
        accept_changed_versions=frozenset(props.get("acceptChangedVersions") or ()),
    )
    report = dbmigrate.apply(props["connection"], files, options)
    with dbmigrate.engine.connect(props["connection"], lock_timeout_seconds=options.lock_timeout_seconds) as conn:
        history = dbmigrate.read_history(conn)
    applied = [{"version": h.version, "name": h.name, "checksum": h.checksum or ""} for h in history]
    # Said in the outputs: writes of this apply that ran no migration (checksums of versions the Supabase CLI
    # applied or rewrote, invalid indexes rebuilt).
    return {
        **props,
        "applied": applied,
        "appliedCount": len(applied),
        "recordedChecksums": report.recorded_checksums,
        "droppedInvalidIndexes": report.dropped_invalid_indexes,
    }


def _refuse_unpreviewed(files: list[dbmigrate.MigrationFile], expected: list[dict[str, Any]]) -> None:
    """What runs must be what the preview showed: a file edited between preview and apply is refused."""
    on_disk = {f.version: f.checksum for f in files}
    for entry in expected:
        if on_disk.get(entry["version"]) != entry["checksum"]:
            raise dbmigrate.MigrationRefused(
                f"migration {entry['version']}_{entry['name']}.sql changed on disk since the program read it; "
                "run the deployment again so the preview and the apply see the same files"
            )


def _by_version(entries: Any) -> dict[str, str] | None:
    if not isinstance(entries, list):
        return None
    return {str(e["version"]): str(e.get("checksum", "")) for e in entries if isinstance(e, dict)}


def _timeout(props: dict[str, Any]) -> float:
    # Numbers cross the provider boundary as floats.
    return float(props.get("lockTimeoutSeconds") or 30)


def _resource_id(connection: str) -> str:
    # Names the database without its password; ids are stored in plain text.
    return f"migrations:{describe_target(connection)}"


@dataclass(frozen=True, kw_only=True)
class SchemaMigrationsArgs:
    connection: pulumi.Input[str]  # made a secret here: the URL carries the database password
    migrations_dir: str
    migrations: Sequence[dbmigrate.MigrationFile]  # what the program read: a preview lists what an apply runs
    lock_timeout_seconds: int = 30
    allow_out_of_order: bool = False
    accept_changed_versions: Sequence[str] = field(default_factory=tuple)


class SchemaMigrations(pulumi.dynamic.Resource, module="database", name="SchemaMigrations"):
    applied: pulumi.Output[list[dict[str, str]]]
    appliedCount: pulumi.Output[int]

    def __init__(self, name: str, args: SchemaMigrationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "connection": pulumi.Output.secret(args.connection),
            "migrationsDir": args.migrations_dir,
            "migrations": [{"version": f.version, "name": f.name, "checksum": f.checksum} for f in args.migrations],
            "lockTimeoutSeconds": args.lock_timeout_seconds,
            "allowOutOfOrder": args.allow_out_of_order,
            "acceptChangedVersions": list(args.accept_changed_versions),
            "applied": None,
            "appliedCount": None,
        }
        super().__init__(MigrationsProvider(), name, props, opts)
