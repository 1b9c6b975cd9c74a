"""Issue 14's migrations (20261201100100 onwards) over a database an attacker has already used: they apply, and
what the attacker wrote stops working, without touching anyone's legitimate rows."""

from __future__ import annotations

from pathlib import Path

import psycopg

import dbmigrate
from tests.schema.conftest import MIGRATIONS_DIR, apply_migrations_before
from tests.schema.sessions import as_role, new_user
from tests.schema.world import insert

FIRST_MIGRATION = "20261201100100_ai_spend_limits.sql"


def test_the_migrations_apply_over_an_attackers_rows_and_disarm_them(fresh_db, tmp_path: Path):
    apply_migrations_before(fresh_db, FIRST_MIGRATION, tmp_path)
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        attacker, victim = new_user(conn), new_user(conn)
        victims_client = insert(conn, "clients", user_id=victim, name="theirs")
        attackers_client = insert(conn, "clients", user_id=attacker, name="mine")
        with conn.transaction(), as_role(conn, "authenticated", attacker):
            conn.execute(
                "update ai_model_configs set model_name = 'o1-pro', max_tokens = 1000000 "
                "where user_id = %s and provider = 'openai'",
                (attacker,),
            )
            conversation = insert(conn, "conversations", user_id=attacker)
            conn.execute(
                "insert into messages (conversation_id, user_id, role, content, created_at) "
                "select %s, %s, 'assistant', '', '2999-01-01' from generate_series(1, 51)",
                (conversation, attacker),
            )
            conn.execute(
                "insert into messages (conversation_id, user_id, role, content) "
                "values (%s, %s, 'user', repeat('x', 100000))",
                (conversation, attacker),
            )
            spoofed = insert(
                conn, "invoices", user_id=attacker, invoice_number="I-1", amount=1, client_id=victims_client
            )
            honest = insert(
                conn, "invoices", user_id=attacker, invoice_number="I-2", amount=1, client_id=attackers_client
            )
        assert conn.execute("select public.monitor_system_health()").fetchone()[0] != [], "the attack worked before"

    dbmigrate.apply(fresh_db, MIGRATIONS_DIR)

    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert conn.execute("select private.monitor_system_health()").fetchone()[0] == []
        clients = dict(conn.execute("select id::text, client_id::text from invoices").fetchall())
        assert clients == {spoofed: None, honest: attackers_client}
        # The oversized configuration stays as written (not valid: old rows are not rechecked) but is no longer
        # allowed: the edge functions refuse it, and any change to it must come within the tier.
        allowed = conn.execute(
            "select model_allowed, max_tokens from private.ai_model_allowance(%s, 'openai', 'o1-pro')", (attacker,)
        ).fetchone()
        assert allowed == (False, 2000)
        with conn.transaction(), as_role(conn, "authenticated", attacker):
            changed = conn.execute(
                "update ai_model_configs set model_name = 'gpt-4o-mini', max_tokens = 2000 "
                "where user_id = %s and provider = 'openai'",
                (attacker,),
            ).rowcount
        assert changed == 1
        # The victim's own rows are untouched.
        assert conn.execute("select count(*) from clients where user_id = %s", (victim,)).fetchone()[0] == 1
