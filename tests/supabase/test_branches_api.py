"""The stand-in's branch endpoints, each request and answer checked against the spec (the fixture fails the test
on any violation): the parent's default branch appears with the first branch, a branch is its own project whose
project-scoped endpoints answer under its ref, by-name look-ups, updates, resets, and deletes that never reach
the parent."""

from __future__ import annotations

import pytest

from providers.supabase.branching import BranchingClient
from providers.supabase.errors import SupabaseApiError, SupabaseNotFound
from tests.supabase.conftest import TEST_TOKEN


def test_branch_endpoints_follow_the_spec_and_keep_the_parent_apart(fake_supabase, client_environment):
    parent = fake_supabase.add_project("ai-super-assistant-staging")
    client = BranchingClient(TEST_TOKEN, fake_supabase.url)
    assert client.list_branches(parent.ref) == []

    created = client.create_branch(parent.ref, {"branch_name": "pr-5", "git_branch": "feature/x"})
    ref = created["project_ref"]
    assert created["parent_project_ref"] == parent.ref and ref != parent.ref
    listed = {b["name"]: b for b in client.list_branches(parent.ref)}
    assert listed["main"]["is_default"] is True and listed["main"]["project_ref"] == parent.ref
    assert listed["pr-5"]["persistent"] is False

    # The branch's own project: coming up, then healthy; its endpoints answer under its ref.
    statuses = [client.get_branch(ref)["status"] for _ in range(4)]
    assert statuses[0] == "COMING_UP" and statuses[-1] == "ACTIVE_HEALTHY"
    assert client.get_project(ref)["ref"] == ref
    client.update_auth_config(ref, {"site_url": "https://pr-5.preview.example.com"})
    assert parent.auth_config["site_url"] != "https://pr-5.preview.example.com"
    assert client.pooler_config(ref)[0]["identifier"] == ref

    by_name = client._call("GET", f"/v1/projects/{parent.ref}/branches/pr-5", "get branch by name", "pr-5")
    assert by_name["project_ref"] == ref
    updated = client.update_branch(ref, {"persistent": True, "git_branch": "feature/y"})
    assert updated["persistent"] is True and updated["git_branch"] == "feature/y"
    reset = client._call("POST", f"/v1/branches/{ref}/reset", "reset branch", "pr-5", json={})
    assert reset["message"] == "ok" and fake_supabase.branches[ref].resets == 1

    with pytest.raises(SupabaseApiError, match="already exists"):
        client.create_branch(parent.ref, {"branch_name": "pr-5"})
    with pytest.raises(SupabaseApiError, match="default branch cannot be deleted"):
        client.delete_branch(parent.ref)

    # A branch is never listed as a project of its own name among the organization's projects.
    assert client.find_projects_by_name(fake_supabase.organization, "pr-5") == []

    client.delete_branch(ref)
    assert fake_supabase.projects[ref].status == "REMOVED" and parent.status == "ACTIVE_HEALTHY"
    with pytest.raises(SupabaseNotFound):
        client.get_branch(ref)
    assert [b["name"] for b in client.list_branches(parent.ref)] == ["main"]
