"""Payments as the committed staging and prod files set them: the Stripe endpoint on, a missing API key stopping
the program before anything registers (naming the key and the command), the publishable key reaching the
frontend's environment while every Stripe secret is refused there."""

from __future__ import annotations

import json

import pytest

from ops.engineless.program import run_program
from ops.frontend_env import build_env
from stackconfig.errors import ConfigError
from tests.harness.provider_host import Secret
from tests.ops.helpers import ops
from tests.stripe.test_program import ENDPOINT_TYPE, StripeMocks

PUBLISHABLE = "pk_live_51Hpublishable0key0for0tests"
SECRET_KEY = "sk_live_51Hsecret0key0never0in0a0bundle"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_without_a_stripe_key_the_committed_stack_stops_naming_the_key_and_the_command(stack, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as raised:
        run_program(stack, {}, mocks=StripeMocks())
    message = str(raised.value)
    assert f"Pulumi.{stack}.yaml" in message
    assert "stripeSecretKey: required while stripeWebhook.enabled is true" in message
    assert "`pulumi config set --secret stripeSecretKey <key>`" in message


@pytest.mark.parametrize("key_from", ["config", "environment"])
def test_with_a_key_in_config_or_ci_environment_the_prod_stack_creates_the_endpoint(key_from, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    overrides: dict = {}
    if key_from == "config":
        overrides["stripeSecretKey"] = Secret("sk_test_from_config_0123")
    else:
        monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_from_ci_0123")
    program = run_program("prod", overrides, mocks=StripeMocks())
    [endpoint] = program.of_type(ENDPOINT_TYPE)
    assert endpoint.inputs["url"].endswith("/functions/v1/subscription-manager")
    plain = json.dumps({k: v for k, v in program.outputs.items() if k not in program.secret_outputs}, default=str)
    assert "sk_test_from" not in plain


def test_the_stack_off_payments_needs_no_key(monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    program = run_program("staging", {"stripeWebhook": {"enabled": False}}, mocks=StripeMocks())
    assert not program.of_type(ENDPOINT_TYPE)


def test_the_publishable_key_is_a_stack_output_and_reaches_the_frontend_env():
    program = run_program("prod", {"stripePublishableKey": PUBLISHABLE}, mocks=StripeMocks())
    assert program.outputs["stripePublishableKey"] == PUBLISHABLE
    assert "stripePublishableKey" not in program.secret_outputs
    shown = {k: ("[secret]" if k in program.secret_outputs else v) for k, v in program.outputs.items()}
    assert dict(build_env(shown))["VITE_STRIPE_PUBLISHABLE_KEY"] == PUBLISHABLE


def test_payments_on_without_a_publishable_key_warn_naming_it():
    program = run_program("prod", {}, mocks=StripeMocks())
    assert [w for w in program.warnings if "stripePublishableKey is not set" in w]
    assert "stripePublishableKey" not in program.outputs


@pytest.mark.parametrize("key", [SECRET_KEY, "rk_live_51Hrestricted0key", "whsec_signing0secret", "not-a-key"])
def test_a_secret_or_odd_key_as_the_publishable_key_is_refused_without_echoing_it(key):
    with pytest.raises(ConfigError) as raised:
        run_program("prod", {"stripePublishableKey": key}, mocks=StripeMocks())
    assert "stripePublishableKey:" in str(raised.value)
    assert key not in str(raised.value)


@pytest.mark.parametrize(
    "output",
    [
        {"stripePublishableKey": SECRET_KEY},
        {"stripePublishableKey": "[secret]"},
        {"appName": f"Shop {SECRET_KEY}"},
        {"storageCdnUrl": "https://cdn.example.com/?k=rk_test_51Hrestricted"},
    ],
)
def test_frontend_env_refuses_a_stripe_secret_anywhere_and_writes_nothing(output, tmp_path, capsys):
    outputs = {
        "supabaseUrl": "https://abcdefghijklmnop.supabase.co",
        "supabaseAnonKey": "sb_publishable_abc",
        "appName": "AI",
        "appVersion": "1.0.0",
        "environment": "production",
        **output,
    }
    source, target = tmp_path / "outputs.json", tmp_path / ".env.production"
    source.write_text(json.dumps(outputs))
    assert ops("frontend-env", "--outputs", source, "--output", target) == 1
    err = capsys.readouterr().err
    assert SECRET_KEY not in err and "rk_test_51Hrestricted" not in err
    assert not target.exists()
