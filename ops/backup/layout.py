"""Where a backup lives in the bucket: `backups/<stack>/<UTC timestamp>/{database.dump, manifest.json}`.

A backup exists only once its manifest does: the manifest is written last, so a prefix without one
is an interrupted or failed run and is never offered for restore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.backup.errors import BackupError

BACKUP_ROOT = "backups"
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
STORAGE_INDEX_NAME = "storage-index.json"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_STAMP = re.compile(r"^\d{8}T\d{6}Z$")
_STACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def utc_stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime(STAMP_FORMAT)


def check_stack_name(stack: str) -> str:
    if not _STACK.match(stack):
        raise BackupError(f"stack name {stack!r} is not usable in an object key; use letters, digits, '-', '_' or '.'")
    return stack


@dataclass(frozen=True)
class BackupLocation:
    bucket: str
    stack: str
    stamp: str

    @property
    def prefix(self) -> str:
        return f"{BACKUP_ROOT}/{self.stack}/{self.stamp}/"

    @property
    def dump_key(self) -> str:
        return self.prefix + DUMP_NAME

    @property
    def manifest_key(self) -> str:
        return self.prefix + MANIFEST_NAME

    @property
    def storage_index_key(self) -> str:
        return self.prefix + STORAGE_INDEX_NAME


def storage_prefix(stack: str) -> str:
    """Storage copies are shared by every backup of a stack, so an unchanged object is stored once."""
    return f"{BACKUP_ROOT}/{stack}/storage/"


def storage_object_key(stack: str, bucket: str, key: str, etag: str) -> str:
    """One copy per object version (its source ETag in the name): a copy is never overwritten, so every
    backup's index keeps pointing at the bytes the object had at that backup's time, and the job's role,
    which may list but not read the bucket, decides what to copy from a listing alone."""
    return f"{storage_prefix(stack)}{bucket}/{key}@{etag}"


def legacy_storage_object_key(stack: str, bucket: str, key: str) -> str:
    """Where copies went before they were named by version (one per key, overwritten); still restorable."""
    return f"{storage_prefix(stack)}{bucket}/{key}"


def list_complete_backups(s3: Any, bucket: str, stack: str) -> list[str]:
    """Timestamps of the stack's backups that have a manifest, oldest first."""
    prefix = f"{BACKUP_ROOT}/{check_stack_name(stack)}/"
    stamps: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            parts = item["Key"][len(prefix) :].split("/")
            if len(parts) == 2 and parts[1] == MANIFEST_NAME and _STAMP.match(parts[0]):
                stamps.append(parts[0])
    return sorted(stamps)


def resolve_backup(s3: Any, bucket: str, stack: str, name: str | None) -> BackupLocation:
    """The named backup (a timestamp) or, without a name, the newest complete one."""
    stamps = list_complete_backups(s3, bucket, stack)
    if name in (None, "", "latest"):
        if not stamps:
            raise BackupError(
                f"no complete backup of stack {stack!r} in bucket {bucket!r} (under {BACKUP_ROOT}/{stack}/); "
                "run `python -m ops backup` first, or check --bucket and --stack"
            )
        return BackupLocation(bucket, stack, stamps[-1])
    if name not in stamps:
        newest = ", ".join(stamps[-5:]) or "none"
        raise BackupError(
            f"backup {name!r} of stack {stack!r} has no manifest in bucket {bucket!r} (interrupted, or "
            f"never made); newest complete backups: {newest}"
        )
    return BackupLocation(bucket, stack, name)
