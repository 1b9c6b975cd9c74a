"""Against the real Supabase Management API. Skipped unless SUPABASE_ACCESS_TOKEN and SUPABASE_ORG_SLUG are set.

Read-only by default. SUPABASE_ACCEPTANCE_PROJECT_REF adds reads inside an existing project;
SUPABASE_ACCEPTANCE_CREATE=1 also creates a throwaway project through the provider host, checks it and
deletes it (billed by Supabase; takes minutes).
"""

from __future__ import annotations

import os
import secrets

import pytest

from providers.supabase.client import ManagementClient

TOKEN = os.environ.get("SUPABASE_ACCESS_TOKEN")
ORG = os.environ.get("SUPABASE_ORG_SLUG")
pytestmark = [
    pytest.mark.acceptance,
    pytest.mark.skipif(not (TOKEN and ORG), reason="needs SUPABASE_ACCESS_TOKEN and SUPABASE_ORG_SLUG"),
]


@pytest.fixture
def client() -> ManagementClient:
    assert TOKEN
    return ManagementClient(TOKEN)


def test_organization_projects_can_be_searched_by_name(client):
    assert ORG
    found = client.find_projects_by_name(ORG, "a-name-nobody-uses-" + secrets.token_hex(4))
    assert found == []


@pytest.mark.skipif(not os.environ.get("SUPABASE_ACCEPTANCE_PROJECT_REF"), reason="needs a project ref")
def test_project_reads_have_the_shapes_the_providers_rely_on(client):
    ref = os.environ["SUPABASE_ACCEPTANCE_PROJECT_REF"]
    project = client.get_project(ref)
    assert project["ref"] == ref and "host" in project["database"]
    keys = client.api_keys(ref)
    assert any(k.get("api_key") for k in keys)
    assert all("name" in s and len(s["value"]) == 64 for s in client.list_secrets(ref))
    assert any(c.get("db_host") for c in client.pooler_config(ref))
    assert "site_url" in client.get_auth_config(ref)
    assert "currentConfig" in client.get_ssl_enforcement(ref)


@pytest.mark.skipif(os.environ.get("SUPABASE_ACCEPTANCE_CREATE") != "1", reason="creates a billed project")
@pytest.mark.timeout(1800)
def test_project_lifecycle_on_the_real_api():
    from providers.supabase.project import SECRET_OUTPUTS, ProjectProvider
    from tests.harness.provider_host import ProviderHost

    provider = ProjectProvider()
    props = {
        "managementApiUrl": "https://api.supabase.com",
        "organizationSlug": ORG,
        "name": "ai-platform-acceptance-" + secrets.token_hex(3),
        "region": os.environ.get("SUPABASE_ACCEPTANCE_REGION", "eu-central-1"),
        "instanceSize": None,
        "projectRef": None,
        "databasePassword": None,
        "readyTimeoutSeconds": 900,
        "projectUrlTemplate": "https://{ref}.supabase.co",
    }
    with ProviderHost() as host:
        created = host.create(provider, props, additional_secret_outputs=tuple(SECRET_OUTPUTS))
        try:
            assert created.outs["status"] == "ACTIVE_HEALTHY"
            assert host.diff(provider, created.id, created.outs, props).changes is False
            again = host.create(provider, props)  # adopts by name instead of creating a second project
            assert again.id == created.id
            assert TOKEN not in host.log_text()
        finally:
            host.delete(provider, created.id, created.outs)
