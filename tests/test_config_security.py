"""Stack config that would leak a secret or widen access: secret names in plain functionSettings, a Management API
URL over plain http, redirect URLs that match more than the app."""

from __future__ import annotations

import pytest

from stackconfig import ConfigError, validate_config
from stackconfig.supabase import GUIDE_FUNCTION_SECRETS, looks_like_a_secret

GUIDE_SECRET_EXAMPLES = ["OPENAI_API_KEY", "STRIPE_SECRET_KEY", "WEBHOOK_SECRET", "SMTP_PASS", "JWT_SECRET",
                         "TWILIO_AUTH_TOKEN", "ENCRYPTION_KEY", "SENTRY_DSN", "ETHEREUM_RPC_URL", "SMTP_PORT"]
SECRET_LOOKING = ["MY_SERVICE_TOKEN", "DB_PASSWORD", "ADMINPASSWORD", "LEGACY_PWD", "VAULT_PASSPHRASE",
                  "GCP_CREDENTIALS", "SIGNING_KEY", "PRIVATE_PEM", "HMAC_SALT", "X_APIKEY", "mysecret"]
PLAIN = ["AI_PROVIDER_FALLBACK_ORDER", "AI_PROVIDER_TIMEOUT_MS", "CORS_ALLOWED_ORIGINS", "SUPPORT_EMAIL_TO",
         "SUPPORT_EMAIL_FROM", "SMTP_TLS", "AUTOMATION_TIMEOUT_MS", "AI_MAX_TOKENS", "KEYBOARD_LAYOUT", "PASSTHROUGH"]


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
