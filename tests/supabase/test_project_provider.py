"""The project resource through the real provider host, against the spec-validating fake API."""

from __future__ import annotations

from providers.supabase.project import SECRET_OUTPUTS, ProjectProvider
from tests.harness.provider_host import Secret
from tests.supabase.helpers import (
    assert_no_secret,
    checked,
    engine_visible_text,
    project_props,
    provider_error,
)

SECRETS = tuple(SECRET_OUTPUTS)


def test_project_lifecycle_create_noop_update_drift_delete(host, fake_supabase):
    provider = ProjectProvider()
    props = checked(host, provider, project_props(fake_supabase))

    created = host.create(provider, props, additional_secret_outputs=SECRETS)
    project = fake_supabase.projects[created.id]
    assert project.name == "ai-super-assistant-staging" and project.status == "ACTIVE_HEALTHY"
    assert created.outs["projectUrl"] == f"{fake_supabase.url}/project/{created.id}"
    assert created.outs["anonKey"] == project.anon_key
    assert created.outs["serviceRoleKey"] == project.service_key
    # The generated password is the one Supabase was given, and the pooler URL (session mode) carries it.
    assert created.outs["databasePassword"] == project.db_pass
    assert (
        f":{project.db_pass}@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"
        in (created.outs["poolerConnectionString"])
    )
    assert {"serviceRoleKey", "poolerConnectionString", "databasePassword"} <= created.secret_outputs

    assert host.diff(provider, created.id, created.outs, props).changes is False

    renamed = {**props, "name": "ai-super-assistant-staging-2"}
    diff = host.diff(provider, created.id, created.outs, renamed)
    assert diff.changes is True and diff.replaces == []
    updated = host.update(provider, created.id, created.outs, renamed, additional_secret_outputs=SECRETS)
    assert project.name == "ai-super-assistant-staging-2"
    assert updated.outs["databasePassword"] == project.db_pass  # kept, not regenerated

    project.name = "renamed-in-the-dashboard"
    refreshed = host.read(provider, created.id, updated.outs, additional_secret_outputs=SECRETS)
    assert refreshed.outs["name"] == "renamed-in-the-dashboard"
    assert host.diff(provider, created.id, refreshed.outs, renamed).changes is True

    project.delete_refusals = 2  # Supabase: "not ready for deletion" while the project settles
    host.delete(provider, created.id, refreshed.outs)
    assert project.status == "REMOVED"
    assert fake_supabase.count("v1-delete-a-project") == 3
    assert host.read(provider, created.id, refreshed.outs).id == ""

    assert_no_secret(
        engine_visible_text(created, updated, refreshed, host=host), [project.db_pass, project.service_key]
    )


def test_region_change_is_refused_and_password_change_updates_without_showing_it(host, fake_supabase):
    provider = ProjectProvider()
    props = checked(host, provider, project_props(fake_supabase, databasePassword=Secret("first-Passw0rd-xyz")))
    created = host.create(provider, props, additional_secret_outputs=SECRETS)
    project = fake_supabase.projects[created.id]
    assert project.db_pass == "first-Passw0rd-xyz"

    # A replacement would find this same project by name and then delete it: refused, with the way back.
    for key, value in (("region", "us-east-1"), ("organizationSlug", "another-org")):
        moved = {**props, key: value}
        error = provider_error(lambda moved=moved: host.diff(provider, created.id, created.outs, moved))
        assert f"supabase.{key} says '{value}'" in error.details and "cannot be moved" in error.details
        assert f"back to '{created.outs[key]}'" in error.details
    pinned = {**props, "projectRef": created.id, "region": "us-east-1"}
    assert (
        "replacing it would delete it"
        in provider_error(lambda: host.diff(provider, created.id, created.outs, pinned)).details
    )
    assert project.status == "ACTIVE_HEALTHY" and fake_supabase.count("v1-delete-a-project") == 0

    new_props = {**props, "databasePassword": Secret("second-Passw0rd-xyz")}
    assert host.diff(provider, created.id, created.outs, new_props).changes is True
    updated = host.update(provider, created.id, created.outs, new_props, additional_secret_outputs=SECRETS)
    assert project.db_pass == "second-Passw0rd-xyz"
    assert "second-Passw0rd-xyz" in updated.outs["poolerConnectionString"]
    assert "databasePassword" in updated.secret_outputs
    assert_no_secret(engine_visible_text(created, updated, host=host), ["first-Passw0rd-xyz", "second-Passw0rd-xyz"])


def test_project_of_the_same_name_is_adopted_and_given_a_known_password(host, fake_supabase):
    existing = fake_supabase.add_project("ai-super-assistant-staging")
    provider = ProjectProvider()
    created = host.create(provider, checked(host, provider, project_props(fake_supabase)))
    assert created.id == existing.ref
    assert fake_supabase.count("v1-create-a-project") == 0
    assert created.outs["adopted"] is True
    # The stack could not know the old password, so it set one it keeps as a secret output.
    assert existing.db_pass == created.outs["databasePassword"]


def test_configured_ref_is_adopted_even_under_another_name(host, fake_supabase):
    existing = fake_supabase.add_project("legacy-name")
    provider = ProjectProvider()
    props = checked(
        host, provider, project_props(fake_supabase, projectRef=existing.ref, databasePassword=Secret("Known-pass-123"))
    )
    created = host.create(provider, props)
    assert created.id == existing.ref and fake_supabase.count("v1-create-a-project") == 0
    assert existing.db_pass != "Known-pass-123"  # a configured password is trusted, not reset
    # Pinning the ref of the project already managed is not a change.
    assert host.diff(provider, created.id, created.outs, props).changes is False


def test_two_projects_of_the_same_name_stop_the_deployment_with_the_fix(host, fake_supabase):
    first = fake_supabase.add_project("ai-super-assistant-staging")
    second = fake_supabase.add_project("ai-super-assistant-staging")
    provider = ProjectProvider()
    error = provider_error(lambda: host.create(provider, checked(host, provider, project_props(fake_supabase))))
    assert first.ref in error.details and second.ref in error.details
    assert "supabase.projectRef" in error.details


def test_failed_project_fails_fast_and_names_the_state(host, fake_supabase):
    fake_supabase.add_project("ai-super-assistant-staging", status="INIT_FAILED")
    provider = ProjectProvider()
    error = provider_error(lambda: host.create(provider, checked(host, provider, project_props(fake_supabase))))
    assert "INIT_FAILED" in error.details
    assert fake_supabase.count("v1-get-project") == 1  # no waiting on a project that will never come up


def test_project_that_never_becomes_healthy_times_out_and_is_adopted_next_run(host, fake_supabase):
    provider = ProjectProvider()
    props = checked(host, provider, project_props(fake_supabase, readyTimeoutSeconds=1))
    fake_supabase.inject("v1-create-a-project")  # no fault: just make the created project slow below
    error = None
    original_init = fake_supabase._create_project

    def slow_create(*args):
        status, body = original_init(*args)
        fake_supabase.projects[body["ref"]].polls_until_active = 10_000
        return status, body

    fake_supabase._routes = [
        (*route[:4], slow_create, route[5]) if route[2] == "v1-create-a-project" else route
        for route in fake_supabase._routes
    ]
    error = provider_error(lambda: host.create(provider, props))
    assert "was not ready after 1s" in error.details and "run the deployment again" in error.details
    (project,) = fake_supabase.projects.values()
    project.polls_until_active = 0

    again = host.create(provider, checked(host, provider, project_props(fake_supabase)))
    assert again.id == project.ref and len(fake_supabase.projects_named("ai-super-assistant-staging")) == 1


def test_check_names_every_bad_field(host, fake_supabase):
    bad = project_props(fake_supabase, region="moon-1", instanceSize="huge", projectRef="NOT-A-REF", name="")
    failures = dict(host.check(ProjectProvider(), {}, bad).failures)
    assert set(failures) == {"region", "instanceSize", "projectRef", "name"}
    assert "eu-central-1" in failures["region"]
