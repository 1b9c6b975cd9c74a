"""The storage sweep: Storage brought back in step with the rows, in every bucket.

Rows first, as the service would have removed them (each deletion queues the document's file and thumbnails):
uploads registered and never confirmed (past Storage's two-hour upload window and the grace period), documents
that failed processing (past their own grace period), and documents whose file Storage does not hold. Then
every bucket, page by page in name order, for objects no row owns (private.storage_orphans_page says why):
each page's orphans are queued and its last name saved as the bucket's cursor in one transaction, and the
queue is drained, so a sweep killed halfway resumes at its cursor and memory stays one page whatever the
bucket's size. A dry run changes nothing and reports what a sweep would remove.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
from psycopg.types.json import Jsonb

from ops.lifecycle.queue import DEFAULT_BATCH_SIZE, DrainResult, drain
from ops.lifecycle.rows import one_row
from ops.lifecycle.storage_api import StorageApi

UPLOAD_WINDOW = timedelta(hours=2)  # document-upload's signed URLs (functions/document-upload/store.ts)
DEFAULT_GRACE = timedelta(hours=24)
DEFAULT_FAILED_GRACE = timedelta(days=7)
SAMPLE_SIZE = 20  # names a report lists per bucket


@dataclass
class BucketReport:
    scanned: int = 0
    orphans: int = 0
    orphan_bytes: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    sample: list[str] = field(default_factory=list)


@dataclass
class SweepReport:
    dry_run: bool
    documents: Counter[str] = field(default_factory=Counter)  # reason -> document (or export) rows (to be) removed
    buckets: dict[str, BucketReport] = field(default_factory=dict)
    drained: DrainResult = field(default_factory=DrainResult)

    @property
    def orphans(self) -> int:
        return sum(bucket.orphans for bucket in self.buckets.values())

    def counts(self) -> dict[str, int]:
        return {
            "orphans": self.orphans,
            "orphan_bytes": sum(b.orphan_bytes for b in self.buckets.values()),
            "scanned": sum(b.scanned for b in self.buckets.values()),
            **{f"documents_{reason}": n for reason, n in self.documents.items()},
            "objects_removed": self.drained.removed,
            "objects_blocked": self.drained.blocked,
        }

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = [f"documents: {verb} {n} ({reason.replace('_', ' ')})" for reason, n in sorted(self.documents.items())]
        for bucket, report in sorted(self.buckets.items()):
            reasons = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in sorted(report.reasons.items()))
            out.append(
                f"{bucket}: {report.scanned} objects scanned, {report.orphans} orphans "
                f"({report.orphan_bytes} bytes){': ' + reasons if reasons else ''}"
            )
            out.extend(f"  {bucket}/{name}" for name in report.sample)
        if not self.dry_run:
            out.append(
                f"Storage removed {self.drained.removed} objects ({self.drained.absent} already gone, "
                f"{self.drained.blocked} held back: key not canonical)"
            )
        return out


# reason -> the documents a sweep removes for it (the trigger queues each one's file and thumbnails).
DOCUMENT_RULES = {
    "unconfirmed_upload": "d.status = 'uploaded' and d.created_at < now() - %(upload_grace)s",
    "failed_document": "d.status = 'failed' and d.updated_at < now() - %(failed_grace)s",
    # An archived document's file is in the archive bucket, not Storage (ops/lifecycle/archive.py).
    "missing_object": (
        "d.status <> 'uploaded' and d.storage_tier = 'standard' and d.created_at < now() - %(grace)s and not exists ("
        "select 1 from storage.objects o where o.bucket_id = 'documents' and o.name = d.file_path)"
    ),
}


def sweep(
    database_url: str,
    storage: StorageApi | None,
    *,
    dry_run: bool = False,
    grace: timedelta = DEFAULT_GRACE,
    failed_grace: timedelta = DEFAULT_FAILED_GRACE,
    batch_size: int = DEFAULT_BATCH_SIZE,
    buckets: list[str] | None = None,
) -> SweepReport:
    if not dry_run and storage is None:
        raise ValueError("a sweep that removes needs the Storage API")
    report = SweepReport(dry_run=dry_run)
    params = {"grace": grace, "failed_grace": failed_grace, "upload_grace": UPLOAD_WINDOW + grace}
    with psycopg.connect(database_url, autocommit=True) as conn:
        for reason, rule in DOCUMENT_RULES.items():
            report.documents[reason] = _documents(conn, reason, rule, params, batch_size, dry_run)
        if dry_run:
            report.documents["export_expired"] = int(
                one_row(
                    conn.execute("select count(*) from private.data_exports where expires_at < now()"),
                    "expired exports",
                )[0]
            )
        else:
            report.documents["export_expired"] = int(
                one_row(conn.execute("select private.expire_data_exports()"), "expiring exports")[0]
            )
            assert storage is not None
            report.drained.add(drain(database_url, storage, batch_size=batch_size))
        names = buckets or [row[0] for row in conn.execute("select id from storage.buckets order by id")]
        for bucket in names:
            report.buckets[bucket] = _sweep_bucket(
                conn, database_url, storage, bucket, grace, batch_size, dry_run, report.drained
            )
        if not dry_run:
            with conn.transaction():
                conn.execute(
                    "insert into private.lifecycle_runs (task, started_at, counts) values ('storage_sweep', now(), %s)",
                    (Jsonb(report.counts()),),
                )
    return report


def _documents(
    conn: psycopg.Connection, reason: str, rule: str, params: dict[str, timedelta], batch_size: int, dry_run: bool
) -> int:
    if dry_run:
        return int(one_row(conn.execute(f"select count(*) from public.documents d where {rule}", params), reason)[0])
    total = 0
    while True:
        with conn.transaction():
            conn.execute("select set_config('lifecycle.deletion_reason', %s, true)", (reason,))
            deleted = conn.execute(
                f"delete from public.documents where id in (select d.id from public.documents d where {rule} "
                "limit %(limit)s for update skip locked)",
                {**params, "limit": batch_size},
            ).rowcount
        total += deleted
        if deleted < batch_size:
            return total


def _sweep_bucket(
    conn: psycopg.Connection,
    database_url: str,
    storage: StorageApi | None,
    bucket: str,
    grace: timedelta,
    batch_size: int,
    dry_run: bool,
    drained: DrainResult,
) -> BucketReport:
    report = BucketReport()
    after = ""
    if not dry_run:
        row = conn.execute(
            "select after_name from private.storage_sweep_cursors where bucket_id = %s", (bucket,)
        ).fetchone()
        after = row[0] if row else ""
    while True:
        with conn.transaction():
            rows = conn.execute(
                "select name, size, reason, last_name, page_size from private.storage_orphans_page(%s, %s, %s, %s)",
                (bucket, after, batch_size, grace),
            ).fetchall()
            page_size = rows[0][4] if rows else 0
            orphans = [(name, size, reason) for name, size, reason, _, _ in rows if name is not None]
            report.scanned += page_size
            report.orphans += len(orphans)
            for name, size, reason in orphans:
                report.orphan_bytes += int(size)
                report.reasons[reason] += 1
                if len(report.sample) < SAMPLE_SIZE:
                    report.sample.append(name)
            if page_size == 0:
                if not dry_run:
                    conn.execute("delete from private.storage_sweep_cursors where bucket_id = %s", (bucket,))
                return report
            after = rows[0][3]
            if not dry_run:
                conn.execute(
                    "insert into private.storage_deletions (bucket_id, name, reason) "
                    "select %s, unnest(%s::text[]), 'orphan' on conflict (bucket_id, name) do nothing",
                    (bucket, [name for name, _, _ in orphans]),
                )
                conn.execute(
                    "insert into private.storage_sweep_cursors (bucket_id, after_name) values (%s, %s) "
                    "on conflict (bucket_id) do update set after_name = excluded.after_name",
                    (bucket, after),
                )
        if not dry_run and orphans:
            assert storage is not None
            drained.add(drain(database_url, storage, batch_size=batch_size))
