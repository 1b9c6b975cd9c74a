"""Issue 14, item 16: ids that point at other users' rows are refused exactly like ids that do not exist, so they are
neither dangling references nor an oracle for which ids exist (20261201100500, 20261201100200)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import World, build_world, insert


def _document(db, user: str) -> str:
    return insert(db, "documents", user_id=user, title="t", file_name="t.pdf", file_path=f"{user}/t.pdf", file_size=1)


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
    assert (
        _refusal(db, user, f"update invoices set {column} = %s where id = %s", (theirs, invoice))
        is psycopg.errors.ForeignKeyViolation
    )
    # Deleting the client or project keeps the invoice, without it.
    db.execute(f"delete from {table} where id = %s", (mine,))
    assert db.execute(f"select {column}, user_id::text from invoices where id = %s", (invoice,)).fetchone() == (
        None,
        user,
    )


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
    statement = (
        "insert into messages (conversation_id, user_id, role, content, document_id) values (%s, %s, 'user', 'hi', %s)"
    )
    other_users = _refusal(db, user, statement, (conversation, user, _document(db, victim)))
    nonexistent = _refusal(db, user, statement, (conversation, user, str(uuid.uuid4())))
    assert other_users is nonexistent is psycopg.errors.InsufficientPrivilege


# Every column through which a user's write names another row: (table, column, the owner's row it names, the
# attacker's row). Inserted by another user ("the attacker"), the owner's id must fail exactly as a made-up one.
REFERENCES: list[tuple[str, str, str, Callable[[World, str, dict[str, str]], dict[str, object]]]] = [
    (
        "messages",
        "conversation_id",
        "conversation",
        lambda w, ref, mine: {"conversation_id": ref, "user_id": w.other, "role": "user", "content": "x"},
    ),
    (
        "messages",
        "document_id",
        "document2",
        lambda w, ref, mine: {
            "conversation_id": mine["conversation"],
            "user_id": w.other,
            "role": "user",
            "content": "x",
            "document_id": ref,
        },
    ),
    ("conversations", "document_id", "document2", lambda w, ref, mine: {"user_id": w.other, "document_id": ref}),
    (
        "automation_jobs",
        "workflow_id",
        "idle_automation_workflow",
        lambda w, ref, mine: {"workflow_id": ref, "user_id": w.other},
    ),
    (
        "ticket_comments",
        "ticket_id",
        "ticket",
        lambda w, ref, mine: {"ticket_id": ref, "user_id": w.other, "content": "x"},
    ),
    ("projects", "client_id", "client", lambda w, ref, mine: {"user_id": w.other, "name": "n", "client_id": ref}),
    ("project_team", "project_id", "project", lambda w, ref, mine: {"project_id": ref, "user_id": w.other}),
    (
        "invoices",
        "client_id",
        "client",
        lambda w, ref, mine: {"user_id": w.other, "invoice_number": "I", "amount": 1, "client_id": ref},
    ),
    (
        "invoices",
        "project_id",
        "project",
        lambda w, ref, mine: {"user_id": w.other, "invoice_number": "I", "amount": 1, "project_id": ref},
    ),
    ("workflows", "project_id", "project", lambda w, ref, mine: {"user_id": w.other, "name": "n", "project_id": ref}),
    ("family_members", "vault_id", "vault", lambda w, ref, mine: {"vault_id": ref, "user_id": w.other}),
    (
        "family_vault_documents",
        "vault_id",
        "vault",
        lambda w, ref, mine: {"vault_id": ref, "document_id": mine["document"], "shared_by": w.other},
    ),
    (
        "family_vault_documents",
        "document_id",
        "document2",
        lambda w, ref, mine: {"vault_id": mine["vault"], "document_id": ref, "shared_by": w.other},
    ),
    (
        "reminders",
        "document_id",
        "document2",
        lambda w, ref, mine: {
            "user_id": w.other,
            "title": "t",
            "remind_at": "2031-01-01T00:00:00Z",
            "document_id": ref,
        },
    ),
    (
        "marketplace_bookings",
        "document_id",
        "document2",
        lambda w, ref, mine: {"professional_id": w["pro_listing"], "client_id": w.other, "document_id": ref},
    ),
]


@pytest.mark.parametrize(
    ("table", "column", "owners_row", "payload"),
    REFERENCES,
    ids=[f"{table}.{column}" for table, column, _, _ in REFERENCES],
)
def test_another_users_id_is_refused_like_a_missing_one(db, table, column, owners_row, payload):
    world = build_world(db)
    mine = {
        "conversation": insert(db, "conversations", user_id=world.other),
        "document": _document(db, world.other),
        "vault": insert(db, "family_vaults", owner_id=world.other, name="mine"),
    }
    outcomes = []
    for ref in (world[owners_row], str(uuid.uuid4())):
        values = payload(world, ref, mine)
        statement = f"insert into public.{table} ({', '.join(values)}) values ({', '.join(['%s'] * len(values))})"
        with acting_as(db, "authenticated", world.other), pytest.raises(psycopg.Error) as refused:
            db.execute(statement, list(values.values()))
        outcomes.append((type(refused.value), refused.value.diag.message_primary.replace(ref, "<id>")))
    assert outcomes[0] == outcomes[1], f"{table}.{column} tells another user's row from a missing one: {outcomes}"
