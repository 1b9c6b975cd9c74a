"""A first `pulumi preview` (no project yet): the provider host hands `check` an Unknown object for the project
ref, and every Supabase provider must accept it instead of failing the preview (found by
tests/engine/test_prod_preview_payments.py, which previews a new prod stack through the real engine)."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown

from providers.supabase.api_settings import ApiSettingsProvider
from providers.supabase.auth_settings import AuthSettingsProvider
from providers.supabase.database_settings import DatabaseSettingsProvider
from providers.supabase.function_secrets import FunctionSecretsProvider
from providers.supabase.pitr import PitrAddonProvider
from providers.supabase.pooler_settings import PoolerSettingsProvider
from providers.supabase.storage_bucket import StorageBucketProvider
from providers.supabase.storage_settings import StorageSettingsProvider


@pytest.mark.parametrize(
    "provider",
    [AuthSettingsProvider, DatabaseSettingsProvider, FunctionSecretsProvider, PitrAddonProvider, StorageBucketProvider,
     ApiSettingsProvider, StorageSettingsProvider, PoolerSettingsProvider],
)  # fmt: skip
def test_an_unknown_project_ref_is_no_check_failure(provider):
    result = provider().check({}, {"projectRef": Unknown(), "managementApiUrl": "https://api.supabase.com"})
    assert [f.property for f in result.failures if f.property == "projectRef"] == []


def test_a_known_bad_ref_still_fails():
    result = AuthSettingsProvider().check(
        {}, {"projectRef": "NOT-A-REF", "managementApiUrl": "https://api.supabase.com"}
    )
    assert "projectRef" in [f.property for f in result.failures]
