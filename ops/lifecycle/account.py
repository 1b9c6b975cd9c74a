"""Erasing an account: every row, every object, the provider's subscription, in steps a rerun finishes.

The steps and their SQL are described in sql/migrations/20261207154501_account_deletion.sql. Each step commits
what it finished before the next starts: a subscription is marked canceled here only after the provider agreed,
an object leaves the to-do list only after Storage removed it, and the rows go in one last transaction that the
database refuses while an object of the account remains. A run killed anywhere is finished by the next run,
and an account already erased is "nothing to do".
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import psycopg
from psycopg import errors

from ops.lifecycle.archive import ArchivalReport, ArchiveBucket, discard_entries
from ops.lifecycle.errors import LifecycleError
from ops.lifecycle.payments import Cancellation, PaymentProviders
from ops.lifecycle.queue import DEFAULT_BATCH_SIZE, drain
from ops.lifecycle.rows import one_row
from ops.lifecycle.storage_api import StorageApi

log = logging.getLogger(__name__)
LIVE_STATUSES = ("trialing", "active", "past_due", "incomplete", "unpaid")
# Objects that keep arriving (an upload URL signed before the deletion began) get this many rounds.
MAX_OBJECT_ROUNDS = 5


@dataclass(frozen=True)
class Erasure:
    erasure_id: str | None  # private.account_erasures.id; None when there was nothing to erase
    subscriptions_canceled: int = 0
    objects_removed: int = 0


def delete_account(
    database_url: str,
    storage: StorageApi,
    payments: PaymentProviders,
    user_id: uuid.UUID,
    *,
    requested_by: str = "operator",
    batch_size: int = DEFAULT_BATCH_SIZE,
    archive: ArchiveBucket | None = None,
) -> Erasure:
    with psycopg.connect(database_url, autocommit=True) as conn:
        began = conn.execute("select private.begin_account_deletion(%s, %s)", (user_id, requested_by)).fetchone()
        if not began or not began[0]:
            return Erasure(None)
        _cancel_subscriptions(conn, payments, user_id)
        for _ in range(MAX_OBJECT_ROUNDS):
            conn.execute("select private.queue_account_objects(%s)", (user_id,))
            drained = drain(database_url, storage, batch_size=batch_size, prefix=f"{user_id}/", account=user_id)
            if drained.blocked:
                raise LifecycleError(
                    f"{drained.blocked} objects of account {user_id} have keys that are not "
                    "canonical and were not sent to Storage: see private.storage_deletions.problem "
                    "(docs/data.md); the erasure waits for them"
                )
            _discard_archived(conn, archive, user_id)
            try:
                with conn.transaction():
                    row = one_row(conn.execute("select private.erase_account(%s)", (user_id,)), "the erasure")
            except errors.ObjectNotInPrerequisiteState:
                log.info("objects of %s arrived during the erasure; another round", user_id)
                continue
            counts = one_row(
                conn.execute(
                    "select subscriptions_canceled, objects_removed from private.account_erasures where id = %s",
                    (row[0],),
                ),
                "the erasure's counts",
            )
            return Erasure(str(row[0]), counts[0], counts[1])
    raise LifecycleError(
        f"objects keep arriving in the folder of account {user_id}; rerun the deletion "
        "(sign-in is blocked, so they stop once the upload URLs already signed expire)"
    )


def _discard_archived(conn: psycopg.Connection, archive: ArchiveBucket | None, user_id: uuid.UUID) -> None:
    """The account's files in the archive bucket go before its rows (the database refuses the rows otherwise)."""
    held = one_row(
        conn.execute("select count(*) from private.document_archive where user_id = %s", (user_id,)), "archived files"
    )[0]
    if not held:
        return
    if archive is None:
        raise LifecycleError(
            f"account {user_id} has {held} files in the archive bucket: set ARCHIVE_BUCKET (stack output "
            "archiveBucket) and AWS credentials so they are removed first; the erasure waits for them"
        )
    discard_entries(conn, archive, ArchivalReport(), user_id=user_id)


def _cancel_subscriptions(conn: psycopg.Connection, payments: PaymentProviders, user_id: uuid.UUID) -> None:
    live = conn.execute(
        "select id, provider, provider_subscription_id from public.subscriptions "
        "where user_id = %s and status = any(%s) order by created_at",
        (user_id, list(LIVE_STATUSES)),
    ).fetchall()
    for row_id, provider, subscription_id in live:
        outcome = payments.cancel(provider, subscription_id)
        with conn.transaction():
            conn.execute(
                "update public.subscriptions set status = 'canceled', canceled_at = now() where id = %s", (row_id,)
            )
            if outcome is Cancellation.CANCELED:
                conn.execute(
                    "update private.account_deletions set subscriptions_canceled = subscriptions_canceled "
                    "+ 1 where user_id = %s",
                    (user_id,),
                )


def pending_requests(database_url: str) -> list[uuid.UUID]:
    """The erasures asked for (by users through the account-deletion function) or left unfinished, oldest first."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        return [
            row[0]
            for row in conn.execute("select user_id from private.account_deletions order by requested_at, user_id")
        ]
