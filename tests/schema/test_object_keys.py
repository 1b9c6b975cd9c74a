"""Issue 20, hole 1: object keys stored in rows are canonical (migration 20261207154841).

A removed family member inserted their own document with file_path '<own id>/../<owner id>/<doc>/passport.pdf':
the first segment was theirs, so the old check let it through, and the backend signed the owner's object."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import acting_as, new_user
from tests.schema.world import insert

MIGRATION = "20261207154841_canonical_object_keys.sql"


def bad_keys(own: str, other: str) -> dict[str, str]:
    """Every shape the rule refuses, each starting with the writer's own id where it can."""
    return {
        "dot-dot into another folder": f"{own}/../{other}/doc/passport.pdf",
        "dot segment": f"{own}/./doc/passport.pdf",
        "trailing dot-dot": f"{own}/doc/..",
        "empty segment": f"{own}//doc/passport.pdf",
        "trailing slash": f"{own}/doc/",
        "backslash": f"{own}/..\\{other}\\passport.pdf",
        "encoded dots": f"{own}/%2e%2e/{other}/passport.pdf",
        "encoded slash": f"{own}/..%2F{other}/passport.pdf",
        "double encoding": f"{own}/%252e%252e/{other}/passport.pdf",
        "control character": f"{own}/doc/pass\nport.pdf",
        "another owner first": f"{other}/doc/passport.pdf",
        "upper-case owner id": f"{own.upper()}/doc/passport.pdf",
        "owner folder alone": own,
        "leading slash": f"/{own}/doc/passport.pdf",
    }


KEY_CASES = list(bad_keys("a", "b"))


def _document(conn: psycopg.Connection, user: str, path: str) -> str:
    return insert(conn, "documents", user_id=user, title="Passport", file_name="passport.pdf", file_path=path)


@pytest.mark.parametrize("case", KEY_CASES)
def test_a_user_cannot_store_a_document_path_that_is_not_canonical(db, case):
    user, owner = new_user(db), new_user(db)
    key = bad_keys(user, owner)[case]
    with (
        acting_as(db, "authenticated", user),
        pytest.raises(psycopg.errors.CheckViolation, match="documents_file_path_canonical"),
    ):
        _document(db, user, key)


def test_the_backend_cannot_store_one_either(db):
    user, owner = new_user(db), new_user(db)
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
        _document(db, user, f"{user}/../{owner}/doc/passport.pdf")


def test_canonical_paths_are_accepted_and_a_path_cannot_be_edited_into_another_folder(db):
    user, owner = new_user(db), new_user(db)
    with acting_as(db, "authenticated", user):
        _document(db, user, f"{user}/{uuid.uuid4()}/passport_2024.v2.pdf")
        _document(db, user, f"{user}/{uuid.uuid4()}/...hidden")  # dots inside a name are not a dot segment
    document = _document(db, user, f"{user}/{uuid.uuid4()}/passport.pdf")
    with pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "update documents set file_path = %s where id = %s", (f"{user}/../{owner}/doc/passport.pdf", document)
        )


def test_automation_results_and_ticket_attachments_are_held_to_the_same_rule(db):
    user, owner = new_user(db), new_user(db)
    workflow = insert(db, "automation_workflows", user_id=user, name="Scrape")
    with (
        acting_as(db, "service_role"),
        pytest.raises(psycopg.errors.CheckViolation, match="automation_jobs_result_path_canonical"),
    ):
        insert(db, "automation_jobs", workflow_id=workflow, user_id=user, result_path=f"{user}/../{owner}/x.json")
    with (
        acting_as(db, "authenticated", user),
        pytest.raises(psycopg.errors.CheckViolation, match="support_tickets_attachment_paths_canonical"),
    ):
        insert(
            db,
            "support_tickets",
            user_id=user,
            title="Help",
            attachment_paths=[f"{user}/screenshot.png", f"{user}/%2e%2e/{owner}/x.png"],
        )
    with acting_as(db, "authenticated", user):
        insert(db, "support_tickets", user_id=user, title="Help", attachment_paths=[f"{user}/screenshot.png"])


@pytest.mark.parametrize("case", ["dot-dot into another folder", "encoded dots", "empty segment", "backslash"])
def test_storage_refuses_an_object_name_that_is_not_canonical_in_ones_own_folder(db, case):
    user, owner = new_user(db), new_user(db)
    name = bad_keys(user, owner)[case]
    db.execute("insert into storage.buckets (id, name) values ('documents', 'documents') on conflict do nothing")
    with (
        acting_as(db, "authenticated", user),
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"),
    ):
        db.execute("insert into storage.objects (bucket_id, name, metadata) values ('documents', %s, '{}')", (name,))
    with acting_as(db, "authenticated", user):
        db.execute(
            "insert into storage.objects (bucket_id, name, metadata) values ('documents', %s, '{}')",
            (f"{user}/{uuid.uuid4()}/passport.pdf",),
        )


def test_rows_written_before_the_rule_are_quarantined_without_failing_the_deploy(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        attacker, owner = new_user(conn), new_user(conn)
        bad = _document(conn, attacker, f"{attacker}/../{owner}/doc/passport.pdf")
        good = _document(conn, attacker, f"{attacker}/{uuid.uuid4()}/passport.pdf")
        conn.execute("insert into processing_queue (document_id) values (%s)", (bad,))

    warnings: list[str] = []
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: warnings.append(notice.message_primary or ""))
        conn.execute((MIGRATIONS_DIR / MIGRATION).read_bytes())
    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)  # records it like a deploy does; nothing left to run

    assert any("1 rows of public.documents" in w for w in warnings), warnings
    with psycopg.connect(fresh_db) as conn:
        listed = conn.execute(
            "select table_name, row_id::text, problem from private.noncanonical_object_keys"
        ).fetchall()
        assert listed == [("documents", bad, 'holds a "." or ".." segment')]
        status = dict(conn.execute("select id::text, status from documents").fetchall())
        assert status == {bad: "failed", good: "uploaded"}
        assert conn.execute("select status from processing_queue where document_id = %s", (bad,)).fetchone() == (
            "failed",
        )
        # The old row stays updatable (its owner renames it, the worker marks it), but no key is written past the
        # rule, old row or new.
        conn.execute("update documents set title = 'Renamed', processing_error = 'x' where id = %s", (bad,))
        with pytest.raises(psycopg.errors.CheckViolation, match="documents_file_path_canonical"):
            conn.execute("update documents set file_path = file_path where id = %s", (bad,))
        conn.rollback()
        with pytest.raises(psycopg.errors.CheckViolation):
            _document(conn, attacker, f"{attacker}/../{owner}/doc/other.pdf")
