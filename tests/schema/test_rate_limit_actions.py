"""Issue 14, holes 6 and 8: the rate limit counts only known actions (data in private.rate_limit_actions) and lives
in private, out of the Data API's reach (20261201100300)."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, as_role, new_user

# Every edge function of guide 000 and guide 002, by its deployed name.
GUIDE_FUNCTIONS = {
    "health-check",
    "ai-chat-message",
    "create-support-ticket",
    "execute-automation",
    "document-upload",
    "document-processor",
    "search-engine",
    "ai-chat",
    "translation-service",
    "family-vault",
    "reminder-engine",
    "analytics-engine",
    "professional-marketplace",
    "subscription-manager",
}


def _usage_rows(db, user: str) -> int:
    return db.execute("select count(*) from usage_metrics where user_id = %s", (user,)).fetchone()[0]


def test_made_up_actions_are_refused_and_write_nothing(db):
    user = new_user(db)
    with as_role(db, "authenticated", user):
        for n in range(1, 4):
            db.execute("savepoint made_up")
            with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
                db.execute("select * from private.check_rate_limit(%s, %s)", (user, f"made-up-{n}"))
            db.execute("rollback to savepoint made_up")
        assert "private.rate_limit_actions" in refused.value.diag.message_hint
    assert _usage_rows(db, user) == 0


def test_every_function_of_both_guides_is_a_known_action(db):
    known = {row[0] for row in db.execute("select action from private.rate_limit_actions").fetchall()}
    assert known >= GUIDE_FUNCTIONS, GUIDE_FUNCTIONS - known
    user = new_user(db)
    with as_role(db, "authenticated", user):
        for action in sorted(GUIDE_FUNCTIONS):
            assert db.execute("select allowed from private.check_rate_limit(%s, %s)", (user, action)).fetchone()[0]
    assert _usage_rows(db, user) == len(GUIDE_FUNCTIONS)


def test_users_cannot_add_actions(db):
    with acting_as(db, "authenticated", new_user(db)), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("insert into private.rate_limit_actions (action, description) values ('made-up', 'x')")


def test_the_rate_limit_is_not_in_the_apis_schema(db):
    """PostgREST serves /rest/v1/rpc/<name> for functions in public; the rate limit is no longer one of them."""
    assert db.execute("select to_regprocedure('public.check_rate_limit(uuid, text)')").fetchone()[0] is None
    grants = db.execute(
        "select has_function_privilege('authenticated', 'private.check_rate_limit(uuid, text)', 'execute'), "
        "has_function_privilege('service_role', 'private.check_rate_limit(uuid, text)', 'execute'), "
        "has_function_privilege('anon', 'private.check_rate_limit(uuid, text)', 'execute')"
    ).fetchone()
    assert grants == (True, True, False)
