"""What an erased account leaves in the backups, and when it goes (docs/data.md, "Backups and deletion").

Dumps made before the erasure hold the account's rows until they expire (`backup.retentionDays`), then stay as old
versions for `backup.noncurrentExpirationDays`. The Storage copies of its files are named by those dumps' indexes:
once the last such index has expired, the daily `ops backup-prune` deletes them (after its grace), and their old
versions expire as a dump's do. So the latest day anything of the account is left is the erasure's day plus
retentionDays, the prune's grace and one day for its schedule, plus noncurrentExpirationDays.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from ops.backup.layout import storage_prefix
from ops.backup.prune import DEFAULT_GRACE
from ops.lifecycle.errors import LifecycleError
from stackconfig.aws import BackupConfig

PRUNE_SCHEDULE = timedelta(days=1)  # the lifecycle workflow prunes daily


@dataclass(frozen=True)
class BackupRemnants:
    copies: int | None  # None: not counted (no bucket to look in)
    gone_by: date
    bucket: str | None

    def line(self) -> str:
        held = "copies of its files" if self.copies is None else f"{self.copies} copies of its files"
        where = f" in s3://{self.bucket}" if self.bucket else ""
        return f"backups: its rows in older dumps and {held}{where} are gone by {self.gone_by.isoformat()}"


def gone_by(erased_on: date, backup: BackupConfig) -> date:
    return (
        erased_on
        + timedelta(
            days=backup.retention_days + backup.noncurrent_expiration_days,
        )
        + DEFAULT_GRACE
        + PRUNE_SCHEDULE
    )


def count_copies(s3: Any, bucket: str, stack: str, storage_buckets: list[str], user_id: uuid.UUID) -> int:
    """Copies under backups/<stack>/storage/<bucket>/<user id>/ for every Storage bucket (names only, no read)."""
    total = 0
    try:
        for storage_bucket in storage_buckets:
            prefix = f"{storage_prefix(stack)}{storage_bucket}/{user_id}/"
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                total += len(page.get("Contents", []))
    except (BotoCoreError, ClientError) as exc:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__
        raise LifecycleError(f"the backup bucket {bucket} could not be listed ({code})") from None
    return total


def record_remnants(
    database_url: str,
    erasure_id: str,
    user_id: uuid.UUID,
    stack: str,
    backup: BackupConfig,
    *,
    s3: Any = None,
    bucket: str | None = None,
) -> BackupRemnants:
    """Counts what the backup bucket holds of the account (when given one) and writes it and the day it is gone
    into the erasure record."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        erased = conn.execute("select erased_at::date from private.account_erasures where id = %s", (erasure_id,))
        row = erased.fetchone()
        if row is None:
            raise LifecycleError(f"no erasure record {erasure_id}")
        copies = None
        if s3 is not None and bucket:
            names = [r[0] for r in conn.execute("select id from storage.buckets order by id")]
            copies = count_copies(s3, bucket, stack, names, user_id)
        remnants = BackupRemnants(copies, gone_by(row[0], backup), bucket)
        conn.execute(
            "update private.account_erasures set backup_copies = %s, backup_copies_gone_by = %s where id = %s",
            (remnants.copies, remnants.gone_by, erasure_id),
        )
    return remnants
