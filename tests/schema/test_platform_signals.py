"""Platform-wide alerts (private.monitor_system_health, whose alerts make health-check report "degraded" and page
the operators) are raised by what many accounts see, never by what one account can do with its own rows and
requests: each check needs a number of distinct accounts (private.health_signal_thresholds)."""

from __future__ import annotations

import psycopg

from tests.schema.sessions import new_user


def alert_types(db: psycopg.Connection) -> list[str]:
    return [alert["type"] for alert in db.execute("select private.monitor_system_health()").fetchone()[0]]


def fail_documents(db: psycopg.Connection, user: str, count: int) -> None:
    """What the processor writes when it dead-letters `count` of the user's uploads (broken files, say)."""
    db.execute(
        "insert into documents (user_id, title, file_name, file_path, status) "
        "select %s, 'f', 'f', %s || '/' || g, 'failed' from generate_series(1, %s) g",
        (user, user, count),
    )


def modelless_replies(db: psycopg.Connection, user: str, count: int) -> None:
    """Replies the backend saved without a model, as when the user's requests make the provider fail."""
    conversation = db.execute(
        "insert into conversations (user_id, title) values (%s, 'c') returning id", (user,)
    ).fetchone()[0]
    db.execute(
        "insert into messages (conversation_id, user_id, role, content) "
        "select %s, %s, 'assistant', 'sorry' from generate_series(1, %s)",
        (conversation, user, count),
    )


def fill_storage(db: psycopg.Connection, user: str) -> None:
    db.execute("update profiles set storage_used = storage_limit where id = %s", (user,))


def test_one_accounts_failed_uploads_do_not_raise_the_failure_alert(db):
    fail_documents(db, new_user(db), 50)
    assert "high_failure_rate" not in alert_types(db)


def test_failures_across_several_accounts_raise_it(db):
    for _ in range(3):
        fail_documents(db, new_user(db), 4)
    assert "high_failure_rate" in alert_types(db)


def test_one_account_filling_its_quota_does_not_raise_the_storage_alert(db):
    fill_storage(db, new_user(db))
    assert "high_storage_usage" not in alert_types(db)


def test_many_full_accounts_raise_it(db):
    for _ in range(5):
        fill_storage(db, new_user(db))
    assert "high_storage_usage" in alert_types(db)


def test_one_accounts_failed_replies_do_not_raise_the_ai_degraded_alert(db):
    modelless_replies(db, new_user(db), 200)
    assert "ai_service_degraded" not in alert_types(db)


def test_failed_replies_across_several_accounts_raise_it(db):
    for _ in range(3):
        modelless_replies(db, new_user(db), 20)
    assert "ai_service_degraded" in alert_types(db)


def test_every_alert_of_the_monitor_has_a_distinct_account_threshold(db):
    rows = dict(db.execute("select alert_type, min_accounts from private.health_signal_thresholds").fetchall())
    assert set(rows) == {"high_failure_rate", "high_storage_usage", "ai_service_degraded"}
    assert all(minimum >= 2 for minimum in rows.values())
