"""Faults at each step of project creation: the deployment finishes or fails clearly, never leaves two
projects, and a run that failed half-way is finished by the next one, which adopts the project."""

from __future__ import annotations

import pytest

from providers.supabase.project import ProjectProvider
from tests.harness.provider_host import ProviderError
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase, Fault
from tests.supabase.helpers import assert_no_secret, checked, project_props

CREATION_STEPS = (
    "v1-get-all-projects-for-organization",  # look for a project of that name
    "v1-create-a-project",
    "v1-get-project",  # wait for ACTIVE_HEALTHY
    "v1-get-services-health",
    "v1-get-project-api-keys",
    "v1-get-pooler-config",
)
FAULTS = (Fault.RATE_LIMITED, Fault.UNAVAILABLE, Fault.TIMEOUT, Fault.DROP)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("step", CREATION_STEPS)
def test_one_fault_at_each_creation_step_still_yields_exactly_one_project(host, fake_supabase, step, fault):
    fake_supabase.rate_limit_reset_seconds = 0  # honoured, but the test should not sleep for it
    provider = ProjectProvider()
    props = checked(host, provider, project_props(fake_supabase))
    fake_supabase.inject(step, fault)

    try:
        created = host.create(provider, props)
    except ProviderError as error:  # allowed, if it says what failed; the next run must then finish
        assert "Supabase" in error.details and "failed" in error.details
        assert_no_secret(error.details, [])
        created = host.create(provider, props)

    (project,) = fake_supabase.projects_named("ai-super-assistant-staging")
    assert created.id == project.ref
    assert created.outs["databasePassword"] == project.db_pass
    calls = fake_supabase.count(step)
    if step == "v1-create-a-project" and fault in (Fault.TIMEOUT, Fault.DROP):
        assert calls == 1, "a create whose answer was lost must be resolved by looking, not by creating again"
    else:
        assert calls >= 2, "the faulty step was not tried again"


def test_lost_create_answer_is_resolved_by_adopting_not_by_creating_again(host, fake_supabase):
    provider = ProjectProvider()
    fake_supabase.inject("v1-create-a-project", Fault.TIMEOUT)
    created = host.create(provider, checked(host, provider, project_props(fake_supabase)))
    assert fake_supabase.count("v1-create-a-project") == 1
    assert created.outs["adopted"] is True
    # The project was created with a generated password the first answer never confirmed; the adopting run
    # set it again, so the stack's secret and Supabase agree.
    assert fake_supabase.projects[created.id].db_pass == created.outs["databasePassword"]


def test_rate_limit_reset_header_is_honoured(host, fake_supabase):
    fake_supabase.rate_limit_reset_seconds = 1
    provider = ProjectProvider()
    fake_supabase.inject("v1-get-all-projects-for-organization", Fault.RATE_LIMITED)
    props = checked(host, provider, project_props(fake_supabase))
    import time

    started = time.monotonic()
    host.create(provider, props)
    assert time.monotonic() - started >= 1.0, "retried before X-RateLimit-Reset had passed"
    assert "retrying in 1.0s" in host.log_text()


def test_a_step_that_keeps_failing_fails_clearly_and_the_next_run_adopts(host, fake_supabase):
    provider = ProjectProvider()
    props = checked(host, provider, project_props(fake_supabase))
    fake_supabase.inject("v1-get-pooler-config", *[Fault.UNAVAILABLE] * 4)

    with pytest.raises(ProviderError) as failure:
        host.create(provider, props)
    details = failure.value.details
    assert "read pooler config" in details and "HTTP 503" in details and "4 attempts" in details
    assert "Service Unavailable" in details  # Supabase's own message is carried

    again = host.create(provider, props)
    (project,) = fake_supabase.projects_named("ai-super-assistant-staging")
    assert again.id == project.ref and again.outs["adopted"] is True
    assert fake_supabase.count("v1-create-a-project") == 1


class RacedFake(FakeSupabase):
    """Another stack (its own backend) creates the same project between our look-up and our create."""

    def _create_project(self, params, body, *rest):
        if not self.projects_named(body["name"]):
            self.add_project(body["name"], created_at="2000-01-01T00:00:00Z")
        return super()._create_project(params, body, *rest)


def test_a_project_created_by_another_stack_at_the_same_moment_is_adopted_and_ours_removed(host):
    fake = RacedFake(token=TEST_TOKEN).start()
    try:
        provider = ProjectProvider()
        created = host.create(provider, checked(host, provider, project_props(fake)))
        (project,) = fake.projects_named("ai-super-assistant-staging")
        assert created.id == project.ref and created.outs["adopted"] is True
        assert fake.count("v1-create-a-project") == 1 and fake.count("v1-delete-a-project") == 1
    finally:
        fake.stop()
    assert not fake.violations, "\n".join(fake.violations)
