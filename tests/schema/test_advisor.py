"""The security categories of Supabase's database linter (the dashboard's Security Advisor), as catalog checks on a
migrated database, so a later migration cannot bring one back. Each test names the lint it stands for.

The Data API (PostgREST, pg_graphql) exposes the schemas in EXPOSED_SCHEMAS, Supabase's defaults, which this
project keeps: everything else (private, partitions) is reachable only through SQL, by roles granted it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from stackconfig.loader import declared_keys
from stackconfig.supabase_services import SupabaseApiConfig
from tests.schema.sessions import as_role, new_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EXPOSED_SCHEMAS = ("public", "graphql_public")
API_ROLES = ("anon", "authenticated")
# Schemas Supabase creates and manages itself (the linter leaves them out too), and the server's own.
PLATFORM_SCHEMAS = (
    "pg_catalog",
    "information_schema",
    "pg_toast",
    "auth",
    "storage",
    "realtime",
    "_realtime",
    "extensions",
    "graphql",
    "graphql_public",
    "vault",
    "pgsodium",
    "pgsodium_masks",
    "cron",
    "net",
    "pgbouncer",
    "supabase_functions",
    "supabase_migrations",
    "pgtle",
    "pgmq",
    "repack",
)


def test_no_security_definer_function_in_an_exposed_schema_is_executable_by_api_roles(db):
    """Lints 0028 and 0029: such a function runs as its owner, past RLS, and is callable at /rest/v1/rpc/<name>."""
    rows = db.execute(
        "select p.oid::regprocedure::text, r.role from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "cross join unnest(%s::text[]) r (role) "
        "where p.prosecdef and n.nspname = any(%s) and has_function_privilege(r.role, p.oid, 'execute')",
        (list(API_ROLES), list(EXPOSED_SCHEMAS)),
    ).fetchall()
    assert rows == [], f"security definer functions the API can call (move them to private): {rows}"


def test_no_view_in_an_exposed_schema_runs_as_its_owner(db):
    """Lint 0010 (security definer view): a view runs as its owner unless security_invoker is set."""
    rows = db.execute(
        "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where c.relkind = 'v' and n.nspname = any(%s) "
        "and not coalesce('security_invoker=true' = any(c.reloptions), false) "
        "and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))",
        (list(EXPOSED_SCHEMAS),),
    ).fetchall()
    assert rows == [], f"views that bypass the caller's RLS: {rows}"


def test_no_materialized_view_is_readable_through_the_api(db):
    """Lint 0016: a materialized view has no RLS, so what it holds is readable by whoever may select it."""
    rows = db.execute(
        "select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where c.relkind = 'm' and n.nspname = any(%s) "
        "and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))",
        (list(EXPOSED_SCHEMAS),),
    ).fetchall()
    assert rows == []


def test_every_table_the_api_roles_can_reach_has_rls_and_policies(db):
    """Lints 0013 (RLS disabled in public) and 0008 (RLS enabled, no policy), for every schema of ours that an API
    role may use, not only public."""
    rows = db.execute(
        "select c.oid::regclass::text, c.relrowsecurity, exists (select 1 from pg_policy p where p.polrelid = c.oid) "
        "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "cross join unnest(%s::text[]) r (role) "
        "where c.relkind in ('r', 'p') and n.nspname <> all(%s) "
        "and has_schema_privilege(r.role, n.oid, 'usage') "
        "and (has_table_privilege(r.role, c.oid, 'select') or has_table_privilege(r.role, c.oid, 'insert') "
        "     or has_table_privilege(r.role, c.oid, 'update') or has_table_privilege(r.role, c.oid, 'delete'))",
        (list(API_ROLES), list(PLATFORM_SCHEMAS)),
    ).fetchall()
    assert rows, "expected the API roles to reach the public tables"
    unprotected = sorted({table for table, rls, has_policy in rows if not (rls and has_policy)})
    assert unprotected == [], f"tables the API roles reach without RLS or without a policy: {unprotected}"


def test_no_function_of_ours_has_a_mutable_search_path(db):
    """Lint 0011: a function without a pinned search_path resolves names through the caller's."""
    rows = db.execute(
        "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname <> all(%s) and n.nspname not like 'pg_temp%%' and n.nspname not like 'pg_toast%%' "
        "and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e') "
        "and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%%')",
        (list(PLATFORM_SCHEMAS),),
    ).fetchall()
    assert rows == [], f"functions without a pinned search_path: {rows}"


def test_auth_users_is_not_exposed_through_a_view(db):
    """Lint 0002: a view over auth.users that an API role may select hands out every user's e-mail."""
    rows = db.execute(
        "select distinct c.oid::regclass::text from pg_depend d join pg_rewrite w on w.oid = d.objid "
        "join pg_class c on c.oid = w.ev_class "
        "where d.refobjid = 'auth.users'::regclass and c.relkind in ('v', 'm') "
        "and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('authenticated', c.oid, 'select'))"
    ).fetchall()
    assert rows == []


def test_extensions_are_outside_public(db):
    """Lint 0014: an extension in public puts its functions and tables in the API's schema."""
    rows = db.execute(
        "select e.extname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where n.nspname = any(%s)",
        (list(EXPOSED_SCHEMAS),),
    ).fetchall()
    assert rows == []
    assert db.execute("select count(*) from pg_extension where extname = 'vector'").fetchone()[0] == 1


def test_no_policy_trusts_user_metadata(db):
    """Lint 0015: auth.jwt()'s user_metadata is written by the user themselves, so a policy must not decide by it."""
    rows = db.execute(
        "select schemaname, tablename, policyname from pg_policies "
        "where coalesce(qual, '') ilike '%%user_metadata%%' or coalesce(with_check, '') ilike '%%user_metadata%%'"
    ).fetchall()
    assert rows == []


def test_no_write_policy_for_api_roles_is_always_true(db):
    """Lint 0024: a permissive insert, update or delete policy of `true` lets every API user write every row."""
    # A missing USING holds for every row; a missing WITH CHECK means USING's (and for INSERT, every row).
    always = "replace(coalesce({}, 'true'), ' ', '') in ('true', '(true)')"
    rows = db.execute(
        "select schemaname, tablename, policyname, cmd from pg_policies "
        "where cmd in ('INSERT', 'UPDATE', 'DELETE', 'ALL') and permissive = 'PERMISSIVE' "
        "and roles && array['public', 'anon', 'authenticated']::name[] "
        f"and ((cmd <> 'INSERT' and {always.format('qual')}) "
        f"     or (cmd <> 'DELETE' and {always.format('coalesce(with_check, qual)')}))"
    ).fetchall()
    assert rows == [], f"write policies that hold for every row: {rows}"


def _public_buckets() -> list[str]:
    config = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())
    buckets = config["config"]["storageBuckets"]["default"]
    return [bucket["id"] for bucket in buckets if bucket.get("public")]


def test_no_storage_policy_lets_anon_read_objects(db):
    """Lint 0025 (public bucket allows listing), on the policies: a public bucket's objects are served by their
    public URLs without any policy, so a SELECT policy for anon (or every role) only lets them be listed."""
    rows = db.execute(
        "select policyname from pg_policies where schemaname = 'storage' and tablename = 'objects' "
        "and cmd in ('SELECT', 'ALL') and roles && array['public', 'anon']::name[]"
    ).fetchall()
    assert rows == [], f"storage policies that let anon read objects: {rows}"


@pytest.mark.parametrize("bucket", _public_buckets())
def test_no_public_bucket_can_be_listed(db, bucket):
    """Lint 0025, by behaviour: with an object in each public bucket of the stack config, neither anon nor another
    user lists it (the owner still reads their own)."""
    owner, other = new_user(db), new_user(db)
    db.execute(
        "insert into storage.buckets (id, name, public) values (%s, %s, true) "
        "on conflict (id) do update set public = true",
        (bucket, bucket),
    )
    db.execute("insert into storage.objects (bucket_id, name) values (%s, %s)", (bucket, f"{owner}/file"))
    for role, user in (("anon", None), ("authenticated", other)):
        with as_role(db, role, user):
            listed = db.execute("select count(*) from storage.objects where bucket_id = %s", (bucket,)).fetchone()[0]
        assert listed == 0, f"{role} lists the objects of public bucket {bucket}"
    with as_role(db, "authenticated", owner):
        assert db.execute("select count(*) from storage.objects where bucket_id = %s", (bucket,)).fetchone()[0] == 1


# The one place the program sets PostgREST's exposed schemas (from supabaseApi.schemas), and its provider.
DB_SCHEMA_WRITERS = {"supabase_services.py", "api_settings.py"}


def test_the_project_exposes_only_supabases_default_schemas():
    """The tests above take EXPOSED_SCHEMAS as the Data API's (the Management API's PostgREST setting db_schema);
    a program or stack that set it elsewhere would expose more, and those schemas would need the checks too."""
    sources = [
        *PROJECT_ROOT.glob("Pulumi*.yaml"),
        *(PROJECT_ROOT / "components").rglob("*.py"),
        *(PROJECT_ROOT / "providers").rglob("*.py"),
        *(PROJECT_ROOT / "stackconfig").rglob("*.py"),
    ]
    for path in sources:
        if path.name in DB_SCHEMA_WRITERS:
            continue
        text = path.read_text()
        for key in ("db_schema", "dbSchema", "db_extra_search_path"):
            assert key not in text, f"{key} in {path.name}: add its schemas to EXPOSED_SCHEMAS in {__file__}"


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_every_committed_stack_exposes_only_the_schemas_checked_here(stack):
    """supabaseApi.schemas is what components/supabase_services.py sends as db_schema: a stack file (or Pulumi.yaml's
    default) exposing another schema needs it in EXPOSED_SCHEMAS, and the checks above run on it."""
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    raw = (document.get("config") or {}).get("ai-platform:supabaseApi", declared_keys()["supabaseApi"]["default"])
    assert set(SupabaseApiConfig.model_validate(raw).schemas) <= set(EXPOSED_SCHEMAS)
