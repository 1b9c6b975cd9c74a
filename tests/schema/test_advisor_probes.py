"""The Security Advisor checks of test_advisor.py catch what they stand for: each is run on the migrated schema with
one offending object added (rolled back afterwards), and must fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.schema import test_advisor as advisor

PROBES: list[tuple[str, str, Callable]] = [
    (
        "security definer function callable by authenticated",
        "create function public.probe() returns int language sql security definer set search_path = '' as 'select 1';"
        " grant execute on function public.probe() to authenticated",
        advisor.test_no_security_definer_function_in_an_exposed_schema_is_executable_by_api_roles,
    ),
    (
        "view running as its owner",
        "create view public.probe as select 1 as one; grant select on public.probe to authenticated",
        advisor.test_no_view_in_an_exposed_schema_runs_as_its_owner,
    ),
    (
        "materialized view readable by anon",
        "create materialized view public.probe as select 1 as one; grant select on public.probe to anon",
        advisor.test_no_materialized_view_is_readable_through_the_api,
    ),
    (
        "table in private reachable without RLS",
        "create table private.probe (id int); grant select on private.probe to authenticated",
        advisor.test_every_table_the_api_roles_can_reach_has_rls_and_policies,
    ),
    (
        "table with RLS and no policy",
        "create table public.probe (id int); alter table public.probe enable row level security;"
        " grant select on public.probe to authenticated",
        advisor.test_every_table_the_api_roles_can_reach_has_rls_and_policies,
    ),
    (
        "function without a pinned search_path",
        "create function private.probe() returns int language sql as 'select 1'",
        advisor.test_no_function_of_ours_has_a_mutable_search_path,
    ),
    (
        "auth.users behind a view",
        "create view public.probe with (security_invoker = true) as select id, email from auth.users;"
        " grant select on public.probe to authenticated",
        advisor.test_auth_users_is_not_exposed_through_a_view,
    ),
    (
        "policy deciding by user_metadata",
        "create policy probe on public.clients for select to authenticated"
        " using ((auth.jwt() -> 'user_metadata' ->> 'admin') = 'true')",
        advisor.test_no_policy_trusts_user_metadata,
    ),
    (
        "update policy of true",
        "create policy probe on public.clients for update to authenticated using (true)",
        advisor.test_no_write_policy_for_api_roles_is_always_true,
    ),
    (
        "insert policy of true",
        "create policy probe on public.clients for insert to authenticated with check (true)",
        advisor.test_no_write_policy_for_api_roles_is_always_true,
    ),
    (
        "storage policy letting anon list a bucket",
        "create policy probe on storage.objects for select to anon using (bucket_id = 'avatars')",
        advisor.test_no_storage_policy_lets_anon_read_objects,
    ),
]


@pytest.mark.parametrize(("offence", "statement", "check"), PROBES, ids=[offence for offence, _, _ in PROBES])
def test_the_advisor_check_catches(db, offence, statement, check):
    db.execute(statement)
    with pytest.raises(AssertionError):
        check(db)


def test_the_listing_check_catches_a_listable_public_bucket(db):
    db.execute("create policy probe on storage.objects for select to anon, authenticated using (bucket_id = 'avatars')")
    with pytest.raises(AssertionError):
        advisor.test_no_public_bucket_can_be_listed(db, "avatars")
