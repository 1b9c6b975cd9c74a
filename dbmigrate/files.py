"""Migration files as the Supabase CLI names them: `<14-digit UTC version>_<name>.sql`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from dbmigrate.errors import MigrationFileError
from dbmigrate.statements import Statement, split_statements

FILE_PATTERN = re.compile(r"^(?P<version>\d{14})_(?P<name>[a-z0-9][a-z0-9_\-]*)\.sql$")


@dataclass(frozen=True)
class MigrationFile:
    version: str
    name: str
    path: Path
    content: str = field(repr=False)

    @property
    def checksum(self) -> str:
        return checksum_of(self.content)

    @property
    def label(self) -> str:
        """How errors name the file: its path relative to the project when possible."""
        return f"{self.path.parent.name}/{self.path.name}"

    def statements(self) -> list[Statement]:
        return split_statements(self.content, source=self.label)


def checksum_of(content: str) -> str:
    # Line endings are normalised so a Windows checkout does not look like an edited migration.
    return hashlib.sha256(content.replace("\r\n", "\n").encode()).hexdigest()


def discover(directory: Path) -> list[MigrationFile]:
    """Every migration in `directory`, in version order; refuses misnamed files and duplicate versions."""
    if not directory.is_dir():
        raise MigrationFileError(f"migrations directory {directory} does not exist; check database.migrationsDir")
    found: dict[str, MigrationFile] = {}
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            raise MigrationFileError(
                f"{path.name}: migration files are named <14-digit UTC version>_<name>.sql, "
                "e.g. 20251101120000_create_profiles.sql (lower-case name, digits, _ and -); rename it"
            )
        version = match["version"]
        if version in found:
            raise MigrationFileError(
                f"{path.name} and {found[version].path.name} share version {version}; give one a new timestamp"
            )
        found[version] = MigrationFile(version, match["name"], path, path.read_text(encoding="utf-8"))
    return [found[version] for version in sorted(found)]
