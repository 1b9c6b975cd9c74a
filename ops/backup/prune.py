"""Pruning the backups' Storage copies that no kept backup names any more.

Copies live under `backups/<stack>/storage/` and are shared by every backup of the stack (ops/backup/storage.py);
a backup's `storage-index.json` names the copies it consists of, and the index expires with its dump
(`backup.retentionDays`). A copy no index names belongs to no backup that can still be restored: a file that was
deleted, or an erased account's, once the last backup from before the deletion has expired. Such a copy, older
than a grace period (a backup still running has not written its index yet), is deleted. The bucket is versioned,
so the delete leaves an old version that the bucket's lifecycle removes after `backup.noncurrentExpirationDays`
(rule `expire-pruned-storage-copies`, components/backup_storage.py).

What is known is never guessed: if an index cannot be read, or no index exists while copies do, nothing is deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ops.backup.errors import BackupError
from ops.backup.layout import BACKUP_ROOT, STORAGE_INDEX_NAME, check_stack_name, storage_prefix

log = logging.getLogger(__name__)
DEFAULT_GRACE = timedelta(days=2)
DELETE_BATCH = 1000  # S3's DeleteObjects limit


@dataclass
class PruneReport:
    indexes: int = 0
    copies: int = 0
    named: int = 0
    pruned: list[str] = field(default_factory=list)
    pruned_bytes: int = 0
    too_new: int = 0  # unnamed, but younger than the grace period

    def line(self, bucket: str, dry_run: bool) -> str:
        verb = "would prune" if dry_run else "pruned"
        return (
            f"s3://{bucket}: {self.copies} storage copies, {self.named} named by {self.indexes} backups; "
            f"{verb} {len(self.pruned)} ({self.pruned_bytes} bytes); {self.too_new} unnamed but within the grace"
        )


def named_copies(s3: Any, bucket: str, stack: str) -> tuple[int, set[str]]:
    """(how many indexes, every copy they name) from every storage index the stack's backups hold."""
    prefix = f"{BACKUP_ROOT}/{check_stack_name(stack)}/"
    indexes, named = 0, set[str]()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            parts = item["Key"][len(prefix) :].split("/")
            if len(parts) != 2 or parts[1] != STORAGE_INDEX_NAME:
                continue
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            try:
                entries = json.loads(body)["objects"].values()
                named.update(str(entry["backup_key"]) for entry in entries)
            except (ValueError, KeyError, TypeError, AttributeError):
                raise BackupError(
                    f"s3://{bucket}/{item['Key']} is not a storage index; nothing was pruned (fix or remove it)"
                ) from None
            indexes += 1
    return indexes, named


def prune_storage_copies(
    s3: Any,
    bucket: str,
    stack: str,
    *,
    grace: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> PruneReport:
    report = PruneReport()
    cutoff = (now or datetime.now(UTC)) - grace
    try:
        report.indexes, named = named_copies(s3, bucket, stack)
        unnamed: list[tuple[str, int]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=storage_prefix(stack)):
            for item in page.get("Contents", []):
                report.copies += 1
                if item["Key"] in named:
                    report.named += 1
                elif item["LastModified"] >= cutoff:
                    report.too_new += 1
                else:
                    unnamed.append((item["Key"], int(item["Size"])))
        if report.copies and not report.indexes:
            raise BackupError(
                f"s3://{bucket} holds {report.copies} storage copies of stack {stack} but no backup index: "
                "nothing was pruned (a prune never empties the copies; check --stack, or run a backup first)"
            )
        for start in range(0, len(unnamed), DELETE_BATCH):
            batch = unnamed[start : start + DELETE_BATCH]
            if not dry_run:
                _delete(s3, bucket, [key for key, _ in batch])
            report.pruned.extend(key for key, _ in batch)
            report.pruned_bytes += sum(size for _, size in batch)
    except (BotoCoreError, ClientError) as exc:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__
        raise BackupError(
            f"S3 refused the prune of s3://{bucket} ({code}); what was pruned stays pruned, rerun to finish"
        ) from None
    return report


def _delete(s3: Any, bucket: str, keys: list[str]) -> None:
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True})
    errors = answer.get("Errors") or []
    if errors:
        codes = sorted({str(error.get("Code")) for error in errors})
        raise BackupError(f"S3 kept {len(errors)} of the copies to prune in s3://{bucket} ({', '.join(codes)})")
