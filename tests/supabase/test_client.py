"""The Management API client and its transport, in this process against the fake server."""

from __future__ import annotations

import logging

import pytest

from providers.supabase.client import ManagementClient, resolve_token
from providers.supabase.errors import SupabaseApiError, SupabaseError, SupabaseNotFound, SupabaseRetriesExhausted
from providers.supabase.pacing import Pacer
from tests.supabase.fake_api import Fault


@pytest.fixture
def client(fake_supabase, client_environment) -> ManagementClient:
    return ManagementClient(fake_supabase.token, fake_supabase.url)


def test_idempotent_call_is_retried_through_503_and_429(client, fake_supabase):
    fake_supabase.rate_limit_reset_seconds = 0
    ref = fake_supabase.add_project("p").ref
    fake_supabase.inject("v1-get-project", Fault.UNAVAILABLE, Fault.RATE_LIMITED, Fault.DROP)
    assert client.get_project(ref)["ref"] == ref
    assert fake_supabase.count("v1-get-project") == 4


def test_persistent_failure_names_operation_resource_and_supabase_message(client, fake_supabase, caplog):
    ref = fake_supabase.add_project("p").ref
    fake_supabase.inject("v1-get-postgres-config", *[Fault.UNAVAILABLE] * 4)
    with caplog.at_level(logging.WARNING, logger="providers.supabase"), pytest.raises(SupabaseRetriesExhausted) as exc:
        client.get_postgres_config(ref)
    message = str(exc.value)
    assert "read Postgres config" in message and f"project {ref}" in message and "Service Unavailable" in message
    assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 3
    everything = message + "\n".join(r.getMessage() for r in caplog.records)
    assert fake_supabase.token not in everything


def test_lost_answer_to_a_create_is_not_sent_again(client, fake_supabase):
    fake_supabase.inject("v1-create-a-project", Fault.DROP)
    body = {
        "name": "p",
        "organization_slug": fake_supabase.organization,
        "db_pass": "S3cret-pass-word",
        "region": "us-east-1",
    }
    with pytest.raises(SupabaseApiError) as exc:
        client.create_project(body)
    assert "not repeated blindly" in str(exc.value)
    assert "S3cret-pass-word" not in str(exc.value)
    assert fake_supabase.count("v1-create-a-project") == 1 and len(fake_supabase.projects_named("p")) == 1


def test_errors_carry_supabases_message_and_404_is_typed(client, fake_supabase):
    with pytest.raises(SupabaseNotFound) as exc:
        client.get_project("abcdefghijklmnopqrst")
    assert "Project not found" in str(exc.value) and "get project for project abcdefghijklmnopqrst" in str(exc.value)


def test_secret_values_echoed_by_the_api_are_redacted(client, fake_supabase):
    ref = fake_supabase.add_project("p").ref
    client.redact.add("whsec_value_that_must_not_leak")

    def echo(*_args):
        from tests.supabase.fake_api import Reply

        raise Reply(400, {"message": "invalid value whsec_value_that_must_not_leak"})

    fake_supabase._routes = [
        (*r[:4], echo, r[5]) if r[2] == "v1-bulk-create-secrets" else r for r in fake_supabase._routes
    ]
    with pytest.raises(SupabaseApiError) as exc:
        client.set_secrets(ref, {"STRIPE_WEBHOOK_SECRET": "whsec_value_that_must_not_leak"})
    assert "whsec_value_that_must_not_leak" not in str(exc.value) and "[redacted]" in str(exc.value)


def test_a_request_the_spec_does_not_allow_is_caught(client, fake_supabase):
    ref = fake_supabase.add_project("p").ref
    with pytest.raises(SupabaseApiError):
        client.update_postgres_config(ref, {"shared_preload_libraries": "pg_stat_statements"})
    assert any("shared_preload_libraries" in v for v in fake_supabase.violations)
    assert "pg_stat_statements" not in fake_supabase.projects[ref].postgres_config.values()
    fake_supabase.violations.clear()  # seen: this test is about the fake catching it


def test_token_comes_from_the_environment_first(monkeypatch):
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", "sbp_from_env")
    assert resolve_token("sbp_from_config") == "sbp_from_env"
    monkeypatch.delenv("SUPABASE_ACCESS_TOKEN")
    assert resolve_token("sbp_from_config") == "sbp_from_config"
    with pytest.raises(SupabaseError, match="pulumi config set --secret supabaseAccessToken"):
        resolve_token(None)


def test_pacer_holds_an_endpoint_at_its_limit_and_not_others():
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(window_seconds=60, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        assert pacer.wait("GET /v1/projects/a", limit=3) == 0
    assert pacer.wait("GET /v1/projects/b", limit=3) == 0
    now[0] = 10.0
    assert pacer.wait("GET /v1/projects/a", limit=3) == pytest.approx(50.0)
    assert slept == [pytest.approx(50.0)]
