"""Stack config that would leak a secret or widen access: secret names in plain functionSettings, a Management API
URL over plain http, redirect URLs that match more than the app."""

from __future__ import annotations

import pytest

from stackconfig import ConfigError, validate_config
from stackconfig.supabase import GUIDE_FUNCTION_SECRETS, looks_like_a_secret

GUIDE_SECRET_EXAMPLES = [
    "OPENAI_API_KEY",
    "STRIPE_SECRET_KEY",
    "WEBHOOK_SECRET",
    "SMTP_PASS",
    "JWT_SECRET",
    "TWILIO_AUTH_TOKEN",
    "ENCRYPTION_KEY",
    "SENTRY_DSN",
    "ETHEREUM_RPC_URL",
    "SMTP_PORT",
]
SECRET_LOOKING = [
    "MY_SERVICE_TOKEN",
    "DB_PASSWORD",
    "ADMINPASSWORD",
    "LEGACY_PWD",
    "VAULT_PASSPHRASE",
    "GCP_CREDENTIALS",
    "SIGNING_KEY",
    "PRIVATE_PEM",
    "HMAC_SALT",
    "X_APIKEY",
    "mysecret",
]
PLAIN = [
    "AI_PROVIDER_FALLBACK_ORDER",
    "AI_PROVIDER_TIMEOUT_MS",
    "CORS_ALLOWED_ORIGINS",
    "SUPPORT_EMAIL_TO",
    "SUPPORT_EMAIL_FROM",
    "SMTP_TLS",
    "AUTOMATION_TIMEOUT_MS",
    "AI_MAX_TOKENS",
    "KEYBOARD_LAYOUT",
    "PASSTHROUGH",
]


def problems_of(raw: dict) -> str:
    with pytest.raises(ConfigError) as error:
        validate_config(raw, stack_file="Pulumi.staging.yaml")
    return str(error.value)


@pytest.mark.parametrize("name", GUIDE_SECRET_EXAMPLES + SECRET_LOOKING)
def test_a_secret_name_in_function_settings_is_refused_pointing_to_function_secrets(name):
    message = problems_of({"functionSettings": {name: "sk-live-plaintext-123"}})
    assert f"{name} in functionSettings would be stored in plain text" in message
    assert f"functionSecrets.{name}" in message, "the error says where the value belongs"
    assert "sk-live-plaintext-123" not in message, "the refused value must not be echoed"


def test_every_name_the_guides_list_as_a_secret_is_refused():
    assert all(looks_like_a_secret(name) for name in GUIDE_FUNCTION_SECRETS)


@pytest.mark.parametrize("name", PLAIN)
def test_plain_settings_the_functions_read_are_accepted(name):
    assert not looks_like_a_secret(name)
    config = validate_config({"functionSettings": {name: "x"}, "environment": "local"}, stack_file="Pulumi.local.yaml")
    assert config.function_settings == {name: "x"}


@pytest.mark.parametrize(
    "url",
    [
        "http://api.supabase.com",
        "http://10.0.0.5:8080",
        "http://localhost.evil.net",
        "http://127.0.0.1.nip.io",
        "ftp://api.supabase.com",
        "https://",
    ],
)
def test_a_management_api_url_that_is_not_https_is_refused(url):
    message = problems_of({"supabase": {"managementApiUrl": url}})
    assert "supabase: Value error, managementApiUrl:" in message or "managementApiUrl" in message
    assert "https://" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:54321",
        "http://localhost:8080",
        "http://[::1]:9000",
        "https://api.supabase.com",
        "https://api.supabase.example:8443/",
    ],
)
def test_https_or_loopback_management_api_urls_are_accepted(url):
    config = validate_config({"supabase": {"managementApiUrl": url}}, stack_file="Pulumi.local.yaml")
    assert config.supabase.management_api_url == url


def test_a_plain_http_project_url_template_site_url_or_azure_tenant_is_refused():
    assert "projectUrlTemplate" in problems_of({"supabase": {"projectUrlTemplate": "http://{ref}.supabase.co"}})
    assert "plain http" in problems_of({"supabaseAuth": {"siteUrl": "http://app.example.com"}})
    azure = {"enabled": True, "clientId": "c", "url": "http://login.microsoftonline.com/tenant"}
    assert "supabaseAuth.azure: Value error, url:" in problems_of({"supabaseAuth": {"azure": azure}})


OVER_BROAD_REDIRECTS = {
    "**": "names no scheme and host",
    "*": "names no scheme and host",
    "https://**": "`**` in the host",
    "https://**.example.com/": "`**` in the host",
    "https://app.example.com**": "`**` in the host",
    "https://*": "bare domain or TLD",
    "https://*.com/**": "bare domain or TLD",
    "https://app.example.*/": "must be literal",
    "https://app.*.example.com/": "must be literal",
    "https://app.example.co?/": "only `*`",
    "https://app.example.com:*/": "port",
    "https://app.example.com@evil.example.net/": "user info",
    "http://app.example.com/**": "plain http",
    "javascript://x/%0aalert(1)": "run in the browser",
    "myapp://*": "app scheme",
}


@pytest.mark.parametrize(("pattern", "why"), OVER_BROAD_REDIRECTS.items(), ids=OVER_BROAD_REDIRECTS.keys())
def test_over_broad_redirect_patterns_are_refused(pattern, why):
    message = problems_of({"supabaseAuth": {"redirectUrls": ["https://app.example.com/**", pattern]}})
    assert "supabaseAuth.redirectUrls" in message and why in message


@pytest.mark.parametrize(
    "pattern",
    [
        "https://app.example.com/*",
        "https://app.example.com/**",
        "https://*-preview.example.com/**",
        "https://*.staging.example.com/auth/*",
        "http://localhost:3000/**",
        "http://127.0.0.1:5173/*",
        "com.example.assistant://login-callback",
        "https://app.example.co.uk/callback",
    ],
)
def test_redirect_patterns_scoped_to_one_site_are_accepted(pattern):
    config = validate_config({"supabaseAuth": {"redirectUrls": [pattern]}}, stack_file="Pulumi.local.yaml")
    assert config.supabase_auth.redirect_urls == (pattern,)


def test_the_management_client_itself_refuses_to_send_its_token_over_plain_http():
    from providers.supabase.client import ManagementClient
    from providers.supabase.errors import SupabaseError

    with pytest.raises(SupabaseError, match="plain http") as raised:
        ManagementClient("sbp_token_value_123", "http://api.supabase.com")
    assert "sbp_token_value_123" not in str(raised.value)
    assert ManagementClient("sbp_token_value_123", "http://127.0.0.1:9").base_url == "http://127.0.0.1:9"


def test_a_datadog_key_is_refused_because_nothing_sends_to_datadog():
    with pytest.raises(ConfigError) as error:
        validate_config(
            {"functionSecrets": {"DATADOG_API_KEY": "dd-0123456789abcdef", "SENTRY_DSN": "https://k@s.io/1"}},
            secret_keys={"functionSecrets"},
            stack_file="Pulumi.staging.yaml",
        )
    message = str(error.value)
    assert "nothing sends to Datadog" in message and "remove DATADOG_API_KEY from functionSecrets" in message
    assert "dd-0123456789abcdef" not in message


def test_the_frontend_sentry_dsn_must_be_a_dsn_with_its_public_key_only():
    assert "frontendSentryDsn: String should match pattern" in problems_of(
        {"frontendSentryDsn": "https://public:secret@o1.ingest.sentry.io/42"}
    )
    config = validate_config(
        {"frontendSentryDsn": "https://abc123@o1.ingest.sentry.io/42"}, stack_file="Pulumi.staging.yaml"
    )
    assert config.frontend_sentry_dsn == "https://abc123@o1.ingest.sentry.io/42"
    assert validate_config({"frontendSentryDsn": ""}, stack_file="Pulumi.staging.yaml").frontend_sentry_dsn is None
