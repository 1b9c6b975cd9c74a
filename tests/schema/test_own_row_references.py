"""Issue 14, item 16: ids that point at other users' rows are refused exactly like ids that do not exist, so they are
neither dangling references nor an oracle for which ids exist (20261201100500, 20261201100200)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert


def _document(db, user: str) -> str:
    return insert(db, "documents", user_id=user, title="t", file_name="t.pdf", file_path=f"{user}/t.pdf",
                  file_size=1)


def _refusal(db, user: str, statement: str, params: tuple) -> type[Exception]:
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.Error) as refused:
        db.execute(statement, params)
    return type(refused.value)


@pytest.mark.parametrize("column, table", [("client_id", "clients"), ("project_id", "projects")])
def test_an_invoice_names_only_the_owners_client_and_project(db, column, table):
    user, victim = new_user(db), new_user(db)
    theirs = insert(db, table, user_id=victim, name="theirs")
    mine = insert(db, table, user_id=user, name="mine")
    statement = f"insert into invoices (user_id, invoice_number, amount, {column}) values (%s, 'INV-1', 1, %s)"
    other_users = _refusal(db, user, statement, (user, theirs))
    nonexistent = _refusal(db, user, statement, (user, str(uuid.uuid4())))
    assert other_users is nonexistent is psycopg.errors.ForeignKeyViolation
    with as_role(db, "authenticated", user):
        invoice = insert(db, "invoices", user_id=user, invoice_number="INV-2", amount=1, **{column: mine})
    assert _refusal(db, user, f"update invoices set {column} = %s where id = %s",
                    (theirs, invoice)) is psycopg.errors.ForeignKeyViolation
    # Deleting the client or project keeps the invoice, without it.
    db.execute(f"delete from {table} where id = %s", (mine,))
    assert db.execute(f"select {column}, user_id::text from invoices where id = %s", (invoice,)).fetchone() == (
        None, user)


def test_a_conversation_is_about_a_document_the_user_can_read(db):
    user, victim = new_user(db), new_user(db)
    theirs, mine = _document(db, victim), _document(db, user)
    statement = "insert into conversations (user_id, document_id) values (%s, %s)"
    other_users = _refusal(db, user, statement, (user, theirs))
    nonexistent = _refusal(db, user, statement, (user, str(uuid.uuid4())))
    assert other_users is nonexistent is psycopg.errors.InsufficientPrivilege
    with acting_as(db, "authenticated", user):
        conversation = insert(db, "conversations", user_id=user, document_id=mine)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("update conversations set document_id = %s where id = %s", (theirs, conversation))


def test_a_document_shared_through_a_family_vault_may_be_chatted_about(db):
    member, sharer = new_user(db), new_user(db)
    vault = insert(db, "family_vaults", owner_id=sharer, name="family")
    insert(db, "family_members", vault_id=vault, user_id=member)
    shared = _document(db, sharer)
    insert(db, "family_vault_documents", vault_id=vault, document_id=shared, shared_by=sharer)
    with acting_as(db, "authenticated", member):
        insert(db, "conversations", user_id=member, document_id=shared)


def test_a_users_message_cites_only_a_document_they_can_read(db):
    user, victim = new_user(db), new_user(db)
    conversation = insert(db, "conversations", user_id=user)
    statement = ("insert into messages (conversation_id, user_id, role, content, document_id) "
                 "values (%s, %s, 'user', 'hi', %s)")
    other_users = _refusal(db, user, statement, (conversation, user, _document(db, victim)))
    nonexistent = _refusal(db, user, statement, (conversation, user, str(uuid.uuid4())))
    assert other_users is nonexistent is psycopg.errors.InsufficientPrivilege
