"""The manifest: what a restore checks the dump against, before (checksum, size) and after (migration, rows)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ops.backup.errors import BackupError

MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class StorageSummary:
    objects: int
    total_bytes: int
    copied: int
    skipped: int
    index_key: str


@dataclass(frozen=True)
class Manifest:
    stack: str
    created_at: str
    dump_key: str
    sha256: str
    size_bytes: int
    server_version: str
    pg_dump_version: str
    newest_migration: str | None
    row_counts: dict[str, int]
    # Schemas left out of the dump (platform-owned) and schemas whose table data alone is restored.
    excluded_schemas: tuple[str, ...]
    data_only_schemas: tuple[str, ...]
    part_size: int
    storage: StorageSummary | None = None
    format: int = field(default=MANIFEST_FORMAT)

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes, *, source: str) -> Manifest:
        try:
            data: dict[str, Any] = json.loads(raw)
            if data.get("format") != MANIFEST_FORMAT:
                raise BackupError(
                    f"{source} has manifest format {data.get('format')!r}; this program reads format "
                    f"{MANIFEST_FORMAT}: restore it with the version of this program that wrote it"
                )
            storage = data.pop("storage", None)
            return cls(
                **{
                    **data,
                    "row_counts": {str(k): int(v) for k, v in data["row_counts"].items()},
                    "excluded_schemas": tuple(data["excluded_schemas"]),
                    "data_only_schemas": tuple(data["data_only_schemas"]),
                    "storage": StorageSummary(**storage) if storage else None,
                }
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{source} is not a readable backup manifest ({exc}); pick another backup") from exc
