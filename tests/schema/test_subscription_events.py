"""Migration 20261201400300: private.apply_subscription_event, the one writer of a subscription's state from
provider webhooks: newest event wins, canceled is final, and the profile's tier and limits follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
GIB = 1024**3


def _apply(
    conn: psycopg.Connection, sub: str, user: str | None, status: str, at: datetime, tier: str | None = "premium"
) -> str | None:
    return conn.execute(
        "select private.apply_subscription_event('stripe', %s, %s, %s, %s, %s)", (sub, user, tier, status, at)
    ).fetchone()[0]


def _profile(conn: psycopg.Connection, user: str) -> tuple[str, int]:
    return conn.execute("select subscription_tier, storage_limit from profiles where id = %s", (user,)).fetchone()


def test_the_newest_event_wins_and_the_tier_and_storage_limit_follow(db):
    user = new_user(db)
    with as_role(db, "service_role"):
        assert _apply(db, "sub_1", user, "active", T0) == "active"
        assert _profile(db, user) == ("premium", 50 * GIB)
        assert _apply(db, "sub_1", user, "past_due", T0 + timedelta(minutes=1)) == "past_due"
        # An older event (delivered late) changes nothing.
        assert _apply(db, "sub_1", user, "active", T0 - timedelta(minutes=1)) == "past_due"
        assert _apply(db, "sub_1", user, "canceled", T0 + timedelta(minutes=2)) == "canceled"
        assert _profile(db, user) == ("free", 1 * GIB)


def test_canceled_is_final_even_for_a_newer_event(db):
    user = new_user(db)
    with as_role(db, "service_role"):
        _apply(db, "sub_2", user, "canceled", T0)
        assert _apply(db, "sub_2", user, "active", T0 + timedelta(hours=1)) == "canceled"
        assert _profile(db, user)[0] == "free"


def test_an_event_without_a_user_for_an_unknown_subscription_writes_nothing(db):
    with as_role(db, "service_role"):
        assert _apply(db, "sub_unknown", None, "active", T0, tier=None) is None
    assert (
        db.execute("select count(*) from subscriptions where provider_subscription_id = 'sub_unknown'").fetchone()[0]
        == 0
    )


def test_an_event_naming_another_user_for_a_known_subscription_is_refused(db):
    owner, intruder = new_user(db), new_user(db)
    with as_role(db, "service_role"):
        _apply(db, "sub_3", owner, "active", T0)
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation, match="another user"):
        _apply(db, "sub_3", intruder, "active", T0 + timedelta(minutes=1))


def test_users_cannot_call_it(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        _apply(db, "sub_4", user, "active", T0)
