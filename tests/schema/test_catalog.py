"""The guides' own checks, and the schema's hardening, read from the catalog of a migrated database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg

import dbmigrate
from ops.localdb import postgres_bin_dir
from tests.schema.conftest import MIGRATIONS_DIR

# Guide 000, section 4.2: "Expected tables (19 total)".
ASSISTANT_TABLES = {
    "profiles",
    "conversations",
    "messages",
    "automation_workflows",
    "automation_jobs",
    "support_tickets",
    "ticket_comments",
    "assets",
    "monitoring_metrics",
    "clients",
    "projects",
    "project_team",
    "usage_metrics",
    "invoices",
    "workflows",
    "webhooks",
    "integrations",
    "analytics_events",
    "ai_model_configs",
}
# Meant for visitors: the pricing page and the marketplace directory.
PUBLIC_READ_TABLES = {"subscription_tiers", "professionals", "professional_reviews"}


def test_the_guides_nineteen_tables_exist(db):
    rows = db.execute(
        "select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'"
    ).fetchall()
    assert {r[0] for r in rows} >= ASSISTANT_TABLES, ASSISTANT_TABLES - {r[0] for r in rows}


def test_row_level_security_is_on_for_every_table_in_public(db):
    off = db.execute("select tablename from pg_tables where schemaname = 'public' and not rowsecurity").fetchall()
    assert off == [], f"tables without row-level security: {off}"


def test_every_table_in_public_has_policies(db):
    rows = db.execute(
        "select t.tablename from pg_tables t where t.schemaname = 'public' and not exists "
        "(select 1 from pg_policies p where p.schemaname = 'public' and p.tablename = t.tablename)"
    ).fetchall()
    assert rows == [], f"tables without any policy: {rows}"


def test_policies_are_per_operation(db):
    rows = db.execute(
        "select tablename, policyname from pg_policies where cmd = 'ALL' and schemaname in ('public', 'storage')"
    ).fetchall()
    assert rows == [], f"FOR ALL policies (write one per operation): {rows}"


def test_anon_holds_privileges_only_on_the_public_tables(db):
    # Whole tables, or some of their columns (the directory's tables hide the accounts behind them).
    rows = db.execute(
        "select table_name, privilege_type from information_schema.role_table_grants "
        "where grantee in ('anon', 'PUBLIC') and table_schema = 'public' "
        "union select table_name, privilege_type from information_schema.role_column_grants "
        "where grantee in ('anon', 'PUBLIC') and table_schema = 'public'"
    ).fetchall()
    assert {(t, p) for t, p in rows} == {(t, "SELECT") for t in PUBLIC_READ_TABLES}


def test_service_role_may_do_everything_on_every_table(db):
    rows = db.execute(
        "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p') and not ("
        "has_table_privilege('service_role', c.oid, 'select') and has_table_privilege('service_role', c.oid, 'insert')"
        " and has_table_privilege('service_role', c.oid, 'update')"
        " and has_table_privilege('service_role', c.oid, 'delete'))"
    ).fetchall()
    assert rows == []


def test_security_definer_functions_pin_their_search_path(db):
    rows = db.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prosecdef "
        "and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')"
    ).fetchall()
    assert rows == [], f"security definer functions without a pinned search_path: {rows}"
    count = db.execute(
        "select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and p.prosecdef"
    ).fetchone()[0]
    assert count >= 10


def test_no_public_function_is_executable_by_anon(db):
    rows = db.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('public', 'private') and has_function_privilege('anon', p.oid, 'execute')"
    ).fetchall()
    assert rows == []


def test_views_run_as_the_invoker(db):
    rows = db.execute(
        "select c.relname, c.reloptions from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind = 'v'"
    ).fetchall()
    assert rows, "expected the analytics_summary view"
    assert all("security_invoker=true" in (options or []) for _, options in rows), rows


def test_partitions_are_out_of_the_apis_reach(db):
    rows = db.execute(
        "select c.relname, has_table_privilege('authenticated', c.oid, 'select'), c.relrowsecurity "
        "from pg_inherits i join pg_class c on c.oid = i.inhrelid "
        "where i.inhparent = 'public.analytics_data'::regclass"
    ).fetchall()
    names = {r[0] for r in rows}
    assert {"analytics_data_default", "analytics_data_2024", "analytics_data_2025"} <= names
    assert all(not readable and rls for _, readable, rls in rows)
    assert not db.execute("select has_schema_privilege('authenticated', 'partitions', 'usage')").fetchone()[0]


def test_guide_indexes_exist(db):
    rows = {r[0] for r in db.execute("select indexname from pg_indexes where schemaname = 'public'").fetchall()}
    wanted = {
        "idx_messages_conversation_id",
        "idx_messages_created_at",
        "idx_conversations_user_id",
        "idx_automation_jobs_workflow_id",
        "idx_automation_jobs_status",
        "idx_support_tickets_user_id",
        "idx_support_tickets_status",
        "idx_analytics_events_user_id",
        "idx_analytics_events_created_at",
        "idx_documents_ai_summary_gin",
        "idx_documents_created_at",
        "idx_analytics_composite",
        "idx_document_embeddings_hnsw",
    }
    assert wanted <= rows, wanted - rows


def _schema_dump(url: str) -> str:
    result = subprocess.run(
        [str(postgres_bin_dir() / "pg_dump"), "--schema-only", "--no-comments", url],
        capture_output=True,
        text=True,
        check=True,
    )
    # pg_dump 18 writes a random \restrict key per run.
    return "\n".join(line for line in result.stdout.splitlines() if not line.startswith("\\"))


def _superuser(url: str) -> str:
    return url.replace("postgresql://postgres@", "postgresql://supabase_admin@")


def test_applies_on_an_empty_database_and_a_second_time_is_a_no_op(fresh_db):
    first = dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    assert len(first.applied_now) == len(list(Path(MIGRATIONS_DIR).glob("*.sql")))
    before = _schema_dump(_superuser(fresh_db))
    second = dbmigrate.apply(fresh_db, MIGRATIONS_DIR)
    assert second.applied_now == [] and not second.changed
    # Each file is also idempotent on its own: running all of them again changes nothing.
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        tiers = conn.execute("select count(*) from public.subscription_tiers").fetchone()[0]
        for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
            with conn.transaction():
                conn.execute(path.read_bytes())
        assert conn.execute("select count(*) from public.subscription_tiers").fetchone()[0] == tiers
    assert _schema_dump(_superuser(fresh_db)) == before
