"""Migration 20251101001200: the models a new user starts with come from private.default_model_configs, and
users who signed up under the guide's seed have their untouched rows of retired models moved to current ones."""

from __future__ import annotations

from pathlib import Path

import psycopg

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import new_user

THIS_MIGRATION = "20251101001200_current_default_models.sql"


def configs(conn: psycopg.Connection, user: str) -> dict[str, tuple]:
    rows = conn.execute(
        "select provider, model_name, temperature::float, system_prompt from ai_model_configs where user_id = %s",
        (user,),
    ).fetchall()
    return {provider: (model, temperature, prompt) for provider, model, temperature, prompt in rows}


def test_new_users_start_with_what_the_defaults_table_says(db):
    # A default must be a model every tier allows (20261201100100), so the allowance comes first.
    db.execute(
        "insert into private.ai_tier_models (tier, provider, model_name) "
        "select tier, 'gemini', 'gemini-3-pro' from private.ai_tier_limits"
    )
    db.execute("update private.default_model_configs set model_name = 'gemini-3-pro' where provider = 'gemini'")
    assert configs(db, new_user(db))["gemini"][0] == "gemini-3-pro"


def test_upgrading_moves_only_untouched_rows_of_retired_models(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, THIS_MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        untouched, tuned, has_new_model = new_user(conn), new_user(conn), new_user(conn)
        conn.execute(
            "update ai_model_configs set temperature = 0.2 where user_id = %s and provider = 'claude'", (tuned,)
        )
        conn.execute(
            "insert into ai_model_configs (user_id, provider, model_name) values (%s, 'gemini', 'gemini-2.5-flash')",
            (has_new_model,),
        )

    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)  # and again: nothing more changes

    with psycopg.connect(fresh_db) as conn:
        assert configs(conn, untouched) == {
            "openai": ("gpt-4", 0.7, None),
            "claude": ("claude-sonnet-4-5", 0.7, None),
            "gemini": ("gemini-2.5-flash", 0.7, None),
        }
        assert configs(conn, tuned)["claude"] == ("claude-3-opus", 0.2, None), "the user's own settings stay"
        rows = conn.execute(
            "select model_name from ai_model_configs where user_id = %s and provider = 'gemini' order by 1",
            (has_new_model,),
        ).fetchall()
        assert rows == [("gemini-2.5-flash",), ("gemini-pro",)], "never two rows of the same model"
