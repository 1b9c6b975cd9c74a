"""Issue 14, hole 1: what a user's AI requests may cost is bounded in the data (20261201100100), whatever the user
writes through the Data API: the models of their tier, its max_tokens ceiling, and the size of stored messages."""

from __future__ import annotations

import psycopg
import pytest

from tests.schema.sessions import acting_as, new_user
from tests.schema.world import insert

TIERS = ("free", "premium", "family_plus", "business")


def test_a_free_user_cannot_configure_a_model_outside_their_tier(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation) as refused:
        db.execute(
            "insert into ai_model_configs (user_id, provider, model_name) values (%s, 'openai', 'o1-pro')", (user,)
        )
    assert "free tier does not include model o1-pro" in str(refused.value)
    assert "gpt-4o-mini" in refused.value.diag.message_hint, "the hint names the models the tier allows"
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "update ai_model_configs set model_name = 'o1-pro' where user_id = %s and provider = 'openai'", (user,)
        )


def test_a_free_user_cannot_raise_max_tokens_above_the_tier_ceiling(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation) as refused:
        db.execute("update ai_model_configs set max_tokens = 1000000 where user_id = %s", (user,))
    assert "ceiling of 2000" in str(refused.value)
    with acting_as(db, "authenticated", user):
        assert db.execute("update ai_model_configs set max_tokens = 2000 where user_id = %s", (user,)).rowcount == 3


def test_the_backend_is_held_to_the_same_limits(db):
    user = new_user(db)
    with acting_as(db, "service_role"), pytest.raises(psycopg.errors.CheckViolation):
        db.execute(
            "insert into ai_model_configs (user_id, provider, model_name) values (%s, 'openai', 'o1-pro')", (user,)
        )


def test_a_business_user_gets_the_larger_models_and_ceiling(db):
    user = new_user(db, tier="business")
    with acting_as(db, "authenticated", user):
        insert(
            db, "ai_model_configs", user_id=user, provider="anthropic", model_name="claude-opus-4-1", max_tokens=8192
        )


def test_the_allowance_answers_for_the_caller_only(db):
    user, other = new_user(db, tier="premium"), new_user(db)
    with acting_as(db, "authenticated", user):
        row = db.execute(
            "select tier, model_allowed, max_tokens, max_history_messages, max_history_characters "
            "from private.ai_model_allowance(%s, 'google', 'gemini-2.5-pro')",
            (user,),
        ).fetchone()
        assert row == ("premium", True, 4096, 40, 96000)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute("select * from private.ai_model_allowance(%s, 'openai', 'gpt-4')", (other,))
    with acting_as(db, "anon"), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("select * from private.ai_model_allowance(%s, 'openai', 'gpt-4')", (user,))
    with acting_as(db, "authenticated", other):
        allowed, models = db.execute(
            "select model_allowed, allowed_models from private.ai_model_allowance(%s, 'gemini', 'gemini-2.5-pro')",
            (other,),
        ).fetchone()
        assert not allowed and models == ["gemini-2.5-flash", "gemini-2.5-flash-lite"]


def test_users_cannot_read_or_change_the_allowance(db):
    user = new_user(db)
    for table in ("private.ai_tier_models", "private.ai_tier_limits"):
        with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
            db.execute(f"update {table} set tier = tier")


def test_every_tier_allows_the_models_new_users_start_with(db):
    """Signing up must never fail on the allowance: each tier has limits and allows every default model."""
    missing = db.execute(
        "select t.tier, d.provider, d.model_name from public.subscription_tiers t "
        "cross join private.default_model_configs d where not exists (select 1 from private.ai_tier_models m "
        "where m.tier = t.tier and m.provider = d.provider and m.model_name = d.model_name) "
        "or not exists (select 1 from private.ai_tier_limits l where l.tier = t.tier and l.max_tokens >= d.max_tokens)"
    ).fetchall()
    assert missing == []
    for tier in TIERS:
        new_user(db, tier=tier)


def test_a_default_model_no_tier_allows_is_refused(db):
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        db.execute("update private.default_model_configs set model_name = 'o1-pro' where provider = 'openai'")
    assert "add the model to private.ai_tier_models" in refused.value.diag.message_hint


def test_a_stored_user_message_is_at_most_32000_characters(db):
    user = new_user(db)
    conversation = insert(db, "conversations", user_id=user)
    with acting_as(db, "authenticated", user):
        insert(db, "messages", conversation_id=conversation, user_id=user, role="user", content="x" * 32000)
        with pytest.raises(psycopg.errors.CheckViolation):
            insert(db, "messages", conversation_id=conversation, user_id=user, role="user", content="x" * 32001)


def test_a_system_prompt_is_at_most_4000_characters(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation):
        db.execute("update ai_model_configs set system_prompt = repeat('x', 4001) where user_id = %s", (user,))


def test_a_conversations_model_is_bounded_like_a_configurations(db):
    user = new_user(db)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation):
        insert(db, "conversations", user_id=user, model_provider="openai", model_name="m" * 101)
