"""The password verification attempt hook (config.toml [auth.hook.password_verification_attempt]): five failed
password sign-ins within 15 minutes lock password sign-in for the account, the right password included."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.schema.sessions import acting_as, new_user

HOOK = "select private.password_verification_attempt_hook(%s::jsonb)"


def attempt(db: psycopg.Connection, user: str, valid: bool) -> dict:
    db.execute("set local role supabase_auth_admin")  # the role Auth calls its hooks as
    try:
        return db.execute(HOOK, (json.dumps({"user_id": user, "valid": valid}),)).fetchone()[0]
    finally:
        db.execute("reset role")


def test_five_failures_lock_password_sign_in_even_with_the_right_password(db):
    user = new_user(db)
    for _ in range(5):
        assert attempt(db, user, valid=False) == {"decision": "continue"}
    locked = attempt(db, user, valid=True)
    assert locked["decision"] == "reject" and "15 minutes" in locked["message"]
    assert locked["should_logout_user"] is False
    # Someone else's account is not affected.
    assert attempt(db, new_user(db), valid=True) == {"decision": "continue"}


def test_the_lock_ends_15_minutes_after_the_last_failure_and_a_right_password_clears_the_count(db):
    user = new_user(db)
    for _ in range(5):
        attempt(db, user, valid=False)
    db.execute("update private.password_failures set last_failed_at = now() - interval '16 minutes'")
    assert attempt(db, user, valid=True) == {"decision": "continue"}
    assert db.execute("select count(*) from private.password_failures").fetchone()[0] == 0


def test_four_failures_then_the_right_password_sign_in(db):
    user = new_user(db)
    for _ in range(4):
        attempt(db, user, valid=False)
    assert attempt(db, user, valid=True) == {"decision": "continue"}


def test_a_failure_after_a_quiet_window_starts_a_new_count(db):
    user = new_user(db)
    for _ in range(4):
        attempt(db, user, valid=False)
    db.execute("update private.password_failures set last_failed_at = now() - interval '16 minutes'")
    attempt(db, user, valid=False)
    assert db.execute("select failures from private.password_failures").fetchone()[0] == 1


@pytest.mark.parametrize("role", ["anon", "authenticated", "service_role"])
def test_no_api_role_can_call_the_hook_or_read_or_reset_the_count(db, role):
    user = new_user(db)
    with acting_as(db, role, user):
        db.execute("savepoint call")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(HOOK, (json.dumps({"user_id": user, "valid": True}),))
        db.execute("rollback to savepoint call")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("delete from private.password_failures")


def test_every_postgres_hook_of_the_config_toml_exists_and_auth_may_call_it(db):
    from stackconfig.config_toml import read_config
    from stackconfig.paths import PROJECT_ROOT

    settings = read_config(PROJECT_ROOT / "supabase" / "config.toml", project_ref=None)["auth"].settings
    hooks = {
        key: uri.removeprefix("pg-functions://postgres/")
        for key, uri in settings.items()
        if key.endswith("_uri") and key.startswith("hook_") and uri.startswith("pg-functions://")
    }
    assert hooks, "the repository's config.toml names no Postgres hook"
    for key, path in hooks.items():
        schema, function = path.split("/")
        callable_by_auth = db.execute(
            "select has_function_privilege('supabase_auth_admin', %s, 'execute')", (f"{schema}.{function}(jsonb)",)
        ).fetchone()[0]
        assert callable_by_auth, f"{key}: {schema}.{function}(jsonb) is not executable by supabase_auth_admin"
