"""Auth settings, database settings and function secrets through the real provider host: create, no-op
diff, change and update, drift after a change behind our back, delete; secrets never in plain text."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from providers.supabase.auth_settings import AuthSettingsProvider
from providers.supabase.base import CHANGED_OUTSIDE
from providers.supabase.database_settings import DatabaseSettingsProvider
from providers.supabase.function_secrets import FunctionSecretsProvider
from tests.harness.provider_host import Secret, Unknown
from tests.supabase.helpers import assert_no_secret, checked, engine_visible_text, ready_project

GOOGLE_SECRET = "GOCSPX-google-client-secret-value"
SMTP_PASS = "SG.sendgrid-smtp-password-value"


def test_auth_settings_lifecycle_with_secret_drift_by_hmac(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = AuthSettingsProvider()
    settings = {
        "site_url": "https://app.example.com",
        "uri_allow_list": "https://app.example.com/*",
        "jwt_exp": 3600,
        "mailer_autoconfirm": False,
        "mailer_secure_email_change_enabled": True,
        "external_google_enabled": True,
        "external_google_client_id": "google-client-id",
    }
    props = checked(
        host,
        provider,
        {
            "managementApiUrl": fake_supabase.url,
            "projectRef": ref,
            "settings": settings,
            "secretSettings": Secret({"external_google_secret": GOOGLE_SECRET, "smtp_pass": SMTP_PASS}),
        },
    )
    props["secretSettings"] = Secret(props["secretSettings"])
    secret_outs = ("secretSettings",)

    created = host.create(provider, props, additional_secret_outputs=secret_outs)
    assert project.auth_config["site_url"] == "https://app.example.com"
    assert project.auth_config["external_google_secret"] == GOOGLE_SECRET
    assert project.auth_config["jwt_exp"] == 3600 and isinstance(project.auth_config["jwt_exp"], int)
    patch_calls = fake_supabase.count("v1-update-auth-service-config")
    assert patch_calls == 1

    assert host.diff(provider, created.id, created.outs, props).changes is False
    refreshed = host.read(provider, created.id, created.outs, additional_secret_outputs=secret_outs)
    assert refreshed.outs["settings"] == settings, "a fresh read should show no drift"
    assert refreshed.outs["secretSettings"]["external_google_secret"] == GOOGLE_SECRET

    changed = {**props, "settings": {**settings, "jwt_exp": 7200}}
    assert host.diff(provider, created.id, created.outs, changed).changes is True
    host.update(provider, created.id, created.outs, changed, additional_secret_outputs=secret_outs)
    assert project.auth_config["jwt_exp"] == 7200

    # Behind our back: a setting and a client secret changed in the dashboard.
    project.auth_config["site_url"] = "https://evil.example.net"
    project.auth_config["external_google_secret"] = "someone-elses-secret"
    drifted = host.read(provider, created.id, {**created.outs, **changed}, additional_secret_outputs=secret_outs)
    assert drifted.outs["settings"]["site_url"] == "https://evil.example.net"
    assert drifted.outs["secretSettings"]["external_google_secret"] == CHANGED_OUTSIDE
    assert drifted.outs["secretSettings"]["smtp_pass"] == SMTP_PASS  # unchanged, HMAC matched
    assert host.diff(provider, created.id, drifted.outs, changed).changes is True
    host.update(provider, created.id, drifted.outs, changed, additional_secret_outputs=secret_outs)
    assert project.auth_config["site_url"] == "https://app.example.com"
    assert project.auth_config["external_google_secret"] == GOOGLE_SECRET

    host.delete(provider, created.id, drifted.outs)  # leaves settings in place: nothing to call
    assert project.auth_config["site_url"] == "https://app.example.com"
    assert_no_secret(engine_visible_text(created, refreshed, drifted, host=host), [GOOGLE_SECRET, SMTP_PASS])


def test_auth_check_refuses_unmanaged_fields_and_wrong_types(host, fake_supabase):
    failures = host.check(
        AuthSettingsProvider(),
        {},
        {
            "managementApiUrl": fake_supabase.url,
            "projectRef": "abcdefghijklmnopqrst",
            "settings": {"jwt_exp": "an hour", "rate_limit_email_sent": "ten", "not_an_auth_field": 1},
            "secretSettings": {"password": "x", "sms_twilio_auth_token": "y"},
        },
    ).failures
    reasons = " ".join(reason for _, reason in failures)
    assert "jwt_exp must be a int" in reasons and "rate_limit_email_sent must be a int" in reasons
    assert "not_an_auth_field" in reasons and "password" in reasons and "sms_twilio_auth_token" not in reasons


def test_database_settings_lifecycle(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = DatabaseSettingsProvider()
    props = checked(
        host,
        provider,
        {
            "managementApiUrl": fake_supabase.url,
            "projectRef": ref,
            # Guide 002's production tuning, as far as the API exposes it.
            "postgresConfig": {"max_connections": 200, "track_activity_query_size": "2048"},
            "sslEnforced": True,
            "allowedCidrs": ["203.0.113.0/24"],
            "allowedCidrsV6": ["2001:db8::/32"],
        },
    )
    created = host.create(provider, props)
    assert project.postgres_config["max_connections"] == 200
    assert isinstance(project.postgres_config["max_connections"], int)
    assert project.ssl_enforced is True and project.allowed_cidrs == ["203.0.113.0/24"]
    assert host.diff(provider, created.id, created.outs, props).changes is False
    assert host.read(provider, created.id, created.outs).outs["postgresConfig"] == props["postgresConfig"]

    changed = {**props, "postgresConfig": {"max_connections": 250, "track_activity_query_size": "2048"}}
    assert host.diff(provider, created.id, created.outs, changed).changes is True
    updated = host.update(provider, created.id, created.outs, changed)
    assert project.postgres_config["max_connections"] == 250
    writes = fake_supabase.count("v1-update-ssl-enforcement-config")
    assert writes == 1, "an unchanged setting must not be written again"

    project.ssl_enforced = False
    project.allowed_cidrs = ["0.0.0.0/0"]
    drifted = host.read(provider, created.id, updated.outs)
    assert drifted.outs["sslEnforced"] is False and drifted.outs["allowedCidrs"] == ["0.0.0.0/0"]
    assert host.diff(provider, created.id, drifted.outs, changed).changes is True
    host.update(provider, created.id, drifted.outs, changed)
    assert project.ssl_enforced is True and project.allowed_cidrs == ["203.0.113.0/24"]

    host.delete(provider, created.id, updated.outs)
    assert project.allowed_cidrs == ["0.0.0.0/0"] and project.allowed_cidrs_v6 == ["::/0"]


def test_database_settings_check_refuses_what_the_api_cannot_set(host):
    failures = host.check(
        DatabaseSettingsProvider(),
        {},
        {
            "projectRef": "abcdefghijklmnopqrst",
            "postgresConfig": {"shared_preload_libraries": "pg_stat_statements", "max_connections": "many"},
            "allowedCidrs": ["2001:db8::/32"],
        },
    ).failures
    reasons = " ".join(reason for _, reason in failures)
    assert "shared_preload_libraries cannot be set" in reasons
    assert "max_connections must be a int" in reasons
    assert "not an IPv4 CIDR" in reasons


def test_function_secrets_lifecycle_by_digest(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    project.secrets["MANAGED_ELSEWHERE"] = "not-ours"
    provider = FunctionSecretsProvider()
    hidden = ("secrets",)  # the resource's additional_secret_outputs
    values = {"OPENAI_API_KEY": "sk-openai-value-1", "STRIPE_SECRET_KEY": "sk_live_stripe_value"}
    base = {"managementApiUrl": fake_supabase.url, "projectRef": ref}
    props = {**checked(host, provider, {**base, "secrets": values}), "secrets": Secret(values)}
    created = host.create(provider, props, additional_secret_outputs=hidden)
    assert project.secrets["OPENAI_API_KEY"] == "sk-openai-value-1"
    assert created.outs["names"] == ["OPENAI_API_KEY", "STRIPE_SECRET_KEY"]
    assert "secrets" in created.secret_outputs

    assert host.diff(provider, created.id, created.outs, props).changes is False
    fresh = host.read(provider, created.id, created.outs, additional_secret_outputs=hidden)
    assert fresh.outs["secrets"] == values

    # One value rotated, one removed from config, one added.
    new_values = {"OPENAI_API_KEY": "sk-openai-value-2", "RESEND_API_KEY": "re_resend_value"}
    new_props = {**base, "secrets": Secret(new_values)}
    assert host.diff(provider, created.id, created.outs, new_props).changes is True
    updated = host.update(provider, created.id, created.outs, new_props, additional_secret_outputs=hidden)
    assert project.secrets == {
        "MANAGED_ELSEWHERE": "not-ours",
        "OPENAI_API_KEY": "sk-openai-value-2",
        "RESEND_API_KEY": "re_resend_value",
    }

    project.secrets["OPENAI_API_KEY"] = "changed-in-the-dashboard"
    del project.secrets["RESEND_API_KEY"]
    drifted = host.read(provider, created.id, updated.outs, additional_secret_outputs=hidden)
    assert drifted.outs["secrets"] == {"OPENAI_API_KEY": CHANGED_OUTSIDE}
    assert host.diff(provider, created.id, drifted.outs, new_props).changes is True
    host.update(provider, created.id, drifted.outs, new_props, additional_secret_outputs=hidden)
    assert project.secrets["OPENAI_API_KEY"] == "sk-openai-value-2" and "RESEND_API_KEY" in project.secrets

    host.delete(provider, created.id, updated.outs)
    assert project.secrets == {"MANAGED_ELSEWHERE": "not-ours"}
    all_values = [*values.values(), *new_values.values()]
    assert_no_secret(engine_visible_text(created, fresh, updated, drifted, host=host), all_values)


def test_secret_digests_match_what_supabase_computes():
    from providers.supabase.base import auth_secret_hmac, sha256_hex

    assert sha256_hex("abc") == hashlib.sha256(b"abc").hexdigest()
    assert (
        auth_secret_hmac("abcdefghijklmnopqrst", "v") == hmac.new(b"abcdefghijklmnopqrst", b"v", "sha256").hexdigest()
    )


def test_function_secret_names_supabase_reserves_are_refused(host):
    failures = host.check(
        FunctionSecretsProvider(),
        {},
        {"projectRef": "abcdefghijklmnopqrst", "secrets": {"SUPABASE_URL": "x", "BAD-NAME": "y", "EMPTY": ""}},
    ).failures
    reasons = " ".join(reason for _, reason in failures)
    assert "'SUPABASE_URL'" in reasons and "'BAD-NAME'" in reasons and "EMPTY" in reasons


@pytest.mark.parametrize(
    "provider", [AuthSettingsProvider(), DatabaseSettingsProvider()], ids=lambda p: type(p).__name__
)
def test_check_takes_a_project_ref_not_known_yet(host, provider):
    # A plain `pulumi up` of a new stack previews first: the ref reaches check unknown (found under the plain CLI).
    props = {"managementApiUrl": "https://api.supabase.com", "projectRef": Unknown()}
    result = host.check(provider, {}, props)
    assert not [f for f in result.failures if f.property == "projectRef"], result.failures
