"""Issue 14, hole 5: users write only their own role 'user' messages, at the server's time, and the health check
counts only replies the backend wrote in the past hour (20261201100200)."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user
from tests.schema.world import insert


def _conversation(db) -> tuple[str, str]:
    user = new_user(db)
    return user, insert(db, "conversations", user_id=user)


@pytest.mark.parametrize("role", ["assistant", "system", "tool"])
def test_users_cannot_write_messages_in_the_backends_roles(db, role):
    user, conversation = _conversation(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert(db, "messages", conversation_id=conversation, user_id=user, role=role, content="spoofed")


def test_users_cannot_turn_their_message_into_a_reply(db):
    user, conversation = _conversation(db)
    message = insert(db, "messages", conversation_id=conversation, user_id=user, role="user", content="hi")
    reply = insert(
        db, "messages", conversation_id=conversation, user_id=user, role="assistant", content="hello", ai_model="gpt-4"
    )
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("update messages set role = 'assistant' where id = %s", (message,))
    with acting_as(db, "authenticated", user):
        assert db.execute("update messages set ai_model = null where id = %s", (reply,)).rowcount == 0
        assert db.execute("update messages set content = 'edited' where id = %s", (message,)).rowcount == 1


def test_the_server_dates_a_users_message(db):
    user, conversation = _conversation(db)
    with as_role(db, "authenticated", user):
        message = insert(
            db,
            "messages",
            conversation_id=conversation,
            user_id=user,
            role="user",
            content="hi",
            created_at="2999-01-01T00:00:00Z",
        )
        db.execute("update messages set created_at = '2000-01-01' where id = %s", (message,))
    in_the_past_minute = db.execute(
        "select created_at between now() - interval '1 minute' and clock_timestamp() from messages where id = %s",
        (message,),
    ).fetchone()[0]
    assert in_the_past_minute


def test_spoofed_replies_do_not_raise_the_ai_degraded_alert(db):
    """The issue's attack: 51 replies without ai_model dated 2999. Through the API it is refused; rows like it
    written before the migration are outside the monitor's past hour."""
    user, conversation = _conversation(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(
            "insert into messages (conversation_id, user_id, role, content, created_at) "
            "select %s, %s, 'assistant', '', '2999-01-01' from generate_series(1, 51)",
            (conversation, user),
        )
    db.execute(
        "insert into messages (conversation_id, user_id, role, content, created_at) "
        "select %s, %s, 'assistant', '', '2999-01-01' from generate_series(1, 51)",
        (conversation, user),
    )
    assert db.execute("select private.monitor_system_health()").fetchone()[0] == []


def test_the_health_check_is_not_in_the_apis_schema(db):
    assert db.execute("select to_regprocedure('public.monitor_system_health()')").fetchone()[0] is None
    with acting_as(db, "authenticated", new_user(db)), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select private.monitor_system_health()")
