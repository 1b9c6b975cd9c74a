"""The branch resource through the real provider host, against the spec-validating stand-in: a branch is its own
project under the parent, the cap counts the parent's previews before the spend, a retry adopts, and deleting a
branch leaves the parent as it was."""

from __future__ import annotations

from typing import Any

from providers.supabase.branch import SECRET_OUTPUTS, BranchProvider
from providers.supabase.branching import BranchingClient
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase
from tests.supabase.helpers import assert_no_secret, checked, engine_visible_text, provider_error

SECRETS = tuple(SECRET_OUTPUTS)
PARENT = "ai-super-assistant-staging"


def branch_props(fake: FakeSupabase, name: str, **overrides: Any) -> dict[str, Any]:
    props = {
        "managementApiUrl": fake.url, "organizationSlug": fake.organization, "parentName": PARENT,
        "parentProjectRef": None, "name": name, "gitBranch": f"feature/{name}", "persistent": False,
        "instanceSize": None, "maxConcurrent": 2, "readyTimeoutSeconds": 20,
        "projectUrlTemplate": fake.project_url_template,
    }  # fmt: skip
    props.update(overrides)
    return props


def test_branch_is_its_own_project_and_delete_leaves_the_parent(host, fake_supabase):
    parent = fake_supabase.add_project(PARENT)
    parent.secrets["OPENAI_API_KEY"] = "parent-secret-digest"
    provider = BranchProvider()
    props = checked(host, provider, branch_props(fake_supabase, "pr-7"))

    created = host.create(provider, props, additional_secret_outputs=SECRETS)
    branch = fake_supabase.projects[created.id]
    assert created.id != parent.ref and branch.status == "ACTIVE_HEALTHY"
    assert created.outs["parentRef"] == parent.ref
    assert created.outs["projectUrl"] == f"{fake_supabase.url}/project/{created.id}"
    assert created.outs["anonKey"] == branch.anon_key != parent.anon_key
    assert created.outs["serviceRoleKey"] == branch.service_key
    assert f":{branch.db_pass}@" in created.outs["poolerConnectionString"]
    assert set(SECRETS) <= created.secret_outputs
    assert fake_supabase.branches[created.id].git_branch == "feature/pr-7"

    # Project-scoped calls answer under the branch's ref, apart from the parent's.
    client = BranchingClient(TEST_TOKEN, fake_supabase.url)
    client.set_secrets(created.id, {"STRIPE_SECRET_KEY": "sk_test_branch_only"})
    assert "STRIPE_SECRET_KEY" in branch.secrets and "STRIPE_SECRET_KEY" not in parent.secrets

    assert host.diff(provider, created.id, created.outs, props).changes is False
    renamed = host.diff(provider, created.id, created.outs, {**props, "name": "pr-8"})
    assert renamed.replaces == ["name"]

    host.delete(provider, created.id, created.outs)
    assert branch.status == "REMOVED" and created.id not in fake_supabase.branches
    assert parent.status == "ACTIVE_HEALTHY" and parent.secrets == {"OPENAI_API_KEY": "parent-secret-digest"}
    assert host.read(provider, created.id, created.outs).id == ""
    host.delete(provider, created.id, created.outs)  # already gone: done, not an error
    assert_no_secret(engine_visible_text(created, host=host), [branch.db_pass, branch.service_key])


def test_cap_refuses_the_next_preview_naming_the_cap_and_the_open_ones(host, fake_supabase):
    fake_supabase.add_project(PARENT)
    provider = BranchProvider()
    first = host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-1")))
    host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-2")))
    # A persistent branch (dev) is not a preview: it neither counts nor is refused.
    host.create(provider, checked(host, provider, branch_props(fake_supabase, "dev", persistent=True)))

    error = provider_error(lambda: host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-3"))))
    message = str(error)
    assert "maxConcurrent is 2" in message and "pr-1" in message and "pr-2" in message, message
    assert "ops preview down" in message
    assert fake_supabase.count("v1-create-a-branch") == 3, "the refused preview created nothing"

    # A rerun of an existing preview adopts it rather than counting it twice.
    again = host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-1")))
    assert again.id == first.id and fake_supabase.count("v1-create-a-branch") == 3


def test_two_previews_racing_past_the_count_leave_the_younger_refused(host, fake_supabase, monkeypatch):
    """Both read the list before either created: the one whose create landed second deletes its own branch."""
    parent = fake_supabase.add_project(PARENT)
    provider = BranchProvider()
    host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-1", maxConcurrent=1)))
    racer = fake_supabase.branches_of(parent.ref)
    # The second stack's count ran before pr-1 existed: it sees only the default branch.
    fake_supabase.hide_branches_from_next_list = [b.project_ref for b in racer if not b.is_default]
    error = provider_error(
        lambda: host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-2", maxConcurrent=1)))
    )
    assert "maxConcurrent is 1" in str(error) and "pr-1" in str(error)
    names = sorted(b.name for b in fake_supabase.branches_of(parent.ref) if not b.is_default)
    assert names == ["pr-1"], names


def test_a_state_naming_the_parent_as_the_branch_never_deletes_the_parent(host, fake_supabase):
    parent = fake_supabase.add_project(PARENT)
    provider = BranchProvider()
    created = host.create(provider, checked(host, provider, branch_props(fake_supabase, "pr-1")))
    damaged = {**created.outs, "parentRef": parent.ref}
    error = provider_error(lambda: host.delete(provider, parent.ref, damaged))
    assert "is the parent project itself" in str(error)
    assert parent.status == "ACTIVE_HEALTHY" and fake_supabase.count("v1-delete-a-branch") == 0
