"""The monitor's alerts are delivered: each scheduled run keeps them in private.system_alerts, where the
health-check function reads the active ones; API roles can neither read nor call any of it."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, new_user


def raise_failure_alert(db: psycopg.Connection) -> None:
    """Eleven failed documents of three accounts: a platform problem, not one account's (see
    test_platform_signals.py)."""
    for count in (4, 4, 3):
        user = new_user(db)
        db.execute(
            "insert into documents (user_id, title, file_name, file_path, status) "
            "select %s, 'f', 'f', %s || '/' || g, 'failed' from generate_series(1, %s) g",
            (user, user, count),
        )


def active(db: psycopg.Connection) -> list[tuple[str, int]]:
    return [(row[0], row[2]) for row in db.execute("select * from private.active_system_alerts()").fetchall()]


def test_a_run_with_nothing_wrong_records_nothing(db):
    assert db.execute("select private.record_system_alerts()").fetchone()[0] == []
    assert active(db) == []


def test_each_run_records_what_the_monitor_raised_and_the_alert_stays_active_for_a_window(db):
    raise_failure_alert(db)
    alerts = db.execute("select private.record_system_alerts()").fetchone()[0]
    assert [a["type"] for a in alerts] == ["high_failure_rate"]
    db.execute("select private.record_system_alerts()")
    assert active(db) == [("high_failure_rate", 2)]
    [details] = db.execute("select details from private.system_alerts limit 1").fetchone()
    assert details == {"message": "High number of document processing failures", "count": 11, "accounts": 3}

    # Twenty minutes later, with the problem gone, the window has passed: nothing active.
    db.execute("update private.system_alerts set raised_at = raised_at - interval '20 minutes'")
    assert active(db) == []
    assert [r[0] for r in db.execute("select * from private.active_system_alerts('1 hour')")] == ["high_failure_rate"]


def test_old_alerts_are_removed_so_the_table_stays_bounded(db):
    db.execute(
        "insert into private.system_alerts (alert_type, raised_at) values ('old_one', now() - interval '31 days')"
    )
    db.execute("select private.record_system_alerts()")
    assert db.execute("select count(*) from private.system_alerts").fetchone()[0] == 0


def test_an_alert_row_must_be_small_and_well_named(db):
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "insert into private.system_alerts (alert_type, details) values ('ok_name', %s)",
            (psycopg.types.json.Jsonb({"x": "y" * 5000}),),
        )
    db.execute("rollback")
    db.execute("begin")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute("insert into private.system_alerts (alert_type) values ('Not A Name; drop')")


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_api_roles_cannot_read_the_alerts_or_run_the_functions(db, role):
    user = new_user(db)
    for statement in (
        "select * from private.system_alerts",
        "select * from private.active_system_alerts()",
        "select private.record_system_alerts()",
    ):
        with acting_as(db, role, user), pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(statement)


def test_the_service_role_reads_the_active_alerts(db):
    raise_failure_alert(db)
    db.execute("select private.record_system_alerts()")
    user = new_user(db)
    with acting_as(db, "service_role", user):
        assert active(db) == [("high_failure_rate", 1)]
