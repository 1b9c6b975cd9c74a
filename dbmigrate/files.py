"""Migration files as the Supabase CLI finds them: `<digits>_<name>.sql`, any name, in file-name order.

Like the CLI, other files in the folder are skipped with a warning (a README, a misnamed file), and so is a
pre-2021-12-09 `<version>_init.sql` when it comes first. The bytes must be UTF-8 without NUL: PostgreSQL's
parser stops at a NUL, so the rest of the file would silently never run while the file counts as applied.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from dbmigrate.errors import MigrationFileError
from dbmigrate.statements import ParsedMigration, Statement, parse_migration

log = logging.getLogger(__name__)

# The CLI's own pattern: any run of digits, `_`, any name.
FILE_PATTERN = re.compile(r"^(?P<version>[0-9]+)_(?P<name>.*)\.sql$", re.DOTALL)
_DEPRECATED_INIT = re.compile(r"([0-9]{14})_init\.sql")
_LAST_DEPRECATED_INIT = 20211209000000


@dataclass(frozen=True)
class MigrationFile:
    version: str
    name: str
    path: Path
    content: str = field(repr=False)
    raw: bytes | None = field(default=None, repr=False, compare=False)  # the file's bytes, when read from disk

    @property
    def checksum(self) -> str:
        return checksum_of(self.content)

    @property
    def label(self) -> str:
        """How errors name the file: its path relative to the project when possible."""
        return f"{self.path.parent.name}/{self.path.name}"

    def statements(self) -> list[Statement]:
        return list(self.parsed().statements)

    @property
    def in_transaction(self) -> bool:
        """False for a file whose first line is the no-transaction marker."""
        return self.parsed().in_transaction

    def parsed(self) -> ParsedMigration:
        data = self.raw if self.raw is not None else self.content.encode("utf-8")
        return parse_migration(data, source=self.label)


def checksum_of(content: str) -> str:
    # Line endings are normalised so a Windows checkout does not look like an edited migration.
    return hashlib.sha256(content.replace("\r\n", "\n").encode()).hexdigest()


def discover(directory: Path) -> list[MigrationFile]:
    """Every migration in `directory`, in file-name order; refuses duplicate versions and unreadable bytes."""
    if not directory.is_dir():
        raise MigrationFileError(f"migrations directory {directory} does not exist; check database.migrationsDir")
    found: dict[str, MigrationFile] = {}
    for index, path in enumerate(sorted(directory.iterdir(), key=lambda p: p.name.encode())):
        if path.is_dir():
            continue
        if index == 0 and _is_deprecated_init(path.name):
            log.warning(
                "skipping %s: a first <version>_init.sql from before 2021-12-09 is skipped, as the "
                "Supabase CLI skips it; rename it to apply it",
                path.name,
            )
            continue
        match = FILE_PATTERN.match(path.name)
        if not match:
            log.warning('skipping %s: not a migration, the file name must match "<timestamp>_name.sql"', path.name)
            continue
        version = match["version"]
        if version in found:
            raise MigrationFileError(
                f"{path.name} and {found[version].path.name} share version {version}; give one a new timestamp"
            )
        raw = path.read_bytes()
        found[version] = MigrationFile(version, match["name"], path, decode_migration(raw, path.name), raw)
    return list(found.values())


def decode_migration(raw: bytes, label: str) -> str:
    """The file's text, or an error naming the byte offset of a NUL or of the first byte that is not UTF-8."""
    nul = raw.find(b"\0")
    if nul >= 0:
        raise MigrationFileError(
            f"{label}: NUL byte at offset {nul} (line {_line_of(raw, nul)}); PostgreSQL would ignore "
            "everything after it. Remove it (the file was probably saved as UTF-16 or is binary)"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MigrationFileError(
            f"{label}: byte 0x{raw[exc.start]:02x} at offset {exc.start} (line {_line_of(raw, exc.start)}) "
            "is not UTF-8; save the file as UTF-8"
        ) from None


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _is_deprecated_init(name: str) -> bool:
    match = _DEPRECATED_INIT.search(name)
    return match is not None and int(match[1]) < _LAST_DEPRECATED_INIT
