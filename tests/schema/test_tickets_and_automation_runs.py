"""Migration 20251101001100: ticket numbers and SLA due dates set by the database, the automation job statuses
(queued, running, succeeded, failed, cancelled) and the two guards against starting a job twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert

THIS_MIGRATION = "20251101001100_tickets_and_automation_runs.sql"
SLA = {
    "critical": timedelta(hours=4),
    "high": timedelta(hours=24),
    "medium": timedelta(hours=72),
    "low": timedelta(days=7),
}


def _ticket(conn: psycopg.Connection, ticket_id: str) -> tuple:
    return conn.execute(
        "select ticket_number, due_at - created_at, priority from support_tickets where id = %s", (ticket_id,)
    ).fetchone()


@pytest.mark.parametrize("priority", sorted(SLA))
def test_a_ticket_is_due_after_its_prioritys_sla(db, priority):
    user = new_user(db)
    with as_role(db, "authenticated", user):
        ticket = insert(db, "support_tickets", title="VPN down", priority=priority)
        assert _ticket(db, ticket)[1] == SLA[priority]


def test_tickets_are_numbered_in_order_and_users_cannot_choose_the_number(db):
    user = new_user(db)
    with as_role(db, "authenticated", user):
        first, second = (insert(db, "support_tickets", title=t) for t in ("one", "two"))
        numbers = [_ticket(db, t)[0] for t in (first, second)]
    assert all(n.startswith("TKT-") and len(n) == 10 for n in numbers), numbers
    assert int(numbers[1][4:]) == int(numbers[0][4:]) + 1
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert(db, "support_tickets", title="mine", ticket_number="TKT-000001")
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update support_tickets set ticket_number = 'TKT-000001' where id = %s", (first,))


def test_numbers_past_six_digits_keep_every_digit(db):
    assert db.execute("select private.format_ticket_number(42), private.format_ticket_number(12345678)").fetchone() == (
        "TKT-000042",
        "TKT-12345678",
    )


def test_changing_the_priority_moves_the_due_date_and_users_cannot_set_it(db):
    user = new_user(db)
    with as_role(db, "authenticated", user):
        ticket = insert(db, "support_tickets", title="Printer", priority="low")
        db.execute("update support_tickets set priority = 'critical' where id = %s", (ticket,))
        assert _ticket(db, ticket)[1] == SLA["critical"]
        # Other edits leave the due date alone.
        db.execute("update support_tickets set title = 'Printer on fire' where id = %s", (ticket,))
        assert _ticket(db, ticket)[1] == SLA["critical"]
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update support_tickets set due_at = now() + interval '1 year' where id = %s", (ticket,))
    # Support (the backend) may still move a due date by hand.
    with as_role(db, "service_role"):
        db.execute("update support_tickets set due_at = created_at + interval '1 day' where id = %s", (ticket,))
    assert _ticket(db, ticket)[1] == timedelta(days=1)


def test_a_new_job_is_queued_and_the_old_status_names_are_refused(db):
    user = new_user(db)
    workflow = insert(db, "automation_workflows", user_id=user, name="Scrape")
    with as_role(db, "authenticated", user):
        job = insert(db, "automation_jobs", workflow_id=workflow)
        assert db.execute("select status from automation_jobs where id = %s", (job,)).fetchone()[0] == "queued"
    for old in ("pending", "completed"):
        with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
            db.execute("update automation_jobs set status = %s where id = %s", (old, job))


def test_a_workflow_has_at_most_one_queued_or_running_job(db):
    user = new_user(db)
    workflow = insert(db, "automation_workflows", user_id=user, name="Scrape")
    job = insert(db, "automation_jobs", workflow_id=workflow, user_id=user)
    for status in ("queued", "running"):
        db.execute("update automation_jobs set status = %s where id = %s", (status, job))
        with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.UniqueViolation):
            insert(db, "automation_jobs", workflow_id=workflow)
    db.execute("update automation_jobs set status = 'succeeded' where id = %s", (job,))
    with as_role(db, "authenticated", user):
        insert(db, "automation_jobs", workflow_id=workflow)


def test_an_idempotency_key_is_unique_per_user(db):
    user, other = new_user(db), new_user(db)
    workflows = [insert(db, "automation_workflows", user_id=u, name="w") for u in (user, user, other)]
    insert(db, "automation_jobs", workflow_id=workflows[0], user_id=user, idempotency_key="retry-1")
    with pytest.raises(psycopg.errors.UniqueViolation), db.transaction():
        insert(db, "automation_jobs", workflow_id=workflows[1], user_id=user, idempotency_key="retry-1")
    # Keys are the client's own: another user may use the same one.
    insert(db, "automation_jobs", workflow_id=workflows[2], user_id=other, idempotency_key="retry-1")


def test_users_cannot_queue_jobs_of_an_inactive_workflow(db):
    user = new_user(db)
    workflow = insert(db, "automation_workflows", user_id=user, name="Paused", is_active=False)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert(db, "automation_jobs", workflow_id=workflow)


def test_upgrading_numbers_old_tickets_and_maps_old_job_statuses(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, THIS_MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        user = new_user(conn)
        old_ticket = insert(conn, "support_tickets", user_id=user, title="Old", priority="high")
        # A ticket last edited long ago (set without the trigger that would stamp now()).
        conn.execute("alter table support_tickets disable trigger support_tickets_updated_at")
        conn.execute(
            "update support_tickets set created_at = created_at - interval '2 days', "
            "updated_at = '2025-01-01' where id = %s",
            (old_ticket,),
        )
        conn.execute("alter table support_tickets enable trigger support_tickets_updated_at")
        workflow = insert(conn, "automation_workflows", user_id=user, name="Scrape")
        done = insert(conn, "automation_jobs", workflow_id=workflow, user_id=user, status="completed")
        running = insert(conn, "automation_jobs", workflow_id=workflow, user_id=user, status="running")
        duplicate = insert(conn, "automation_jobs", workflow_id=workflow, user_id=user, status="pending")

    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)

    with psycopg.connect(fresh_db) as conn:
        number, due_in, _ = _ticket(conn, old_ticket)
        assert number.startswith("TKT-") and due_in == SLA["high"]
        updated_at = conn.execute("select updated_at from support_tickets where id = %s", (old_ticket,)).fetchone()
        assert updated_at[0].year == 2025, "the backfill must not touch updated_at"
        statuses = dict(conn.execute("select id::text, status from automation_jobs").fetchall())
        assert statuses == {done: "succeeded", running: "running", duplicate: "cancelled"}
        reason = conn.execute("select error_message from automation_jobs where id = %s", (duplicate,)).fetchone()
        assert "already queued or running" in reason[0]
