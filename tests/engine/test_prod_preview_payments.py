"""`pulumi preview -s prod` through the real engine with the committed Pulumi.prod.yaml: without a Stripe API key
it stops before anything is previewed, saying which key and which command; with the key (as a stack secret, CI's
environment not set) it goes on and previews Stripe's webhook endpoint among the rest.

The AWS provider plugin cannot be built here, so the run with the key switches the AWS parts off and points the
Supabase parts at the spec-checked fake Management API; the run without the key needs neither: the program
stops while reading its config, before it registers its first resource."""

from __future__ import annotations

import pytest
from pulumi import automation as auto

from ops.engine import open_stack
from tests.engine.helpers import run
from tests.engine.supabase_stack import PROVIDER_ENV
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase

OFF = {"enabled": False}
STRIPE_KEY = "sk_test_engine0preview0key"


@pytest.mark.timeout(600)
def test_committed_prod_without_a_stripe_key_stops_the_preview_naming_the_key(engine, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)  # the program runs inline, in this process
    stack = open_stack("prod", engine(), secrets={"supabaseAccessToken": TEST_TOKEN})
    with pytest.raises(auto.CommandError) as failed:
        run(stack.preview)
    message = str(failed.value)
    assert "invalid stack configuration in Pulumi.prod.yaml" in message
    assert "stripeSecretKey: required while stripeWebhook.enabled is true" in message
    assert "pulumi config set --secret stripeSecretKey <key>" in message


@pytest.mark.timeout(900)
def test_committed_prod_with_a_stripe_key_previews_the_webhook_endpoint(engine, monkeypatch):
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        config = {
            **dict.fromkeys(
                ("aws", "frontend", "storageCdn", "backup", "alerts", "ciIdentity", "waf", "budget", "providerSpend"),
                OFF,
            ),
            "supabase": {
                "organizationSlug": fake.organization,
                "projectName": "ai-super-assistant-prod",
                "region": "eu-central-1",
                "managementApiUrl": fake.url,
                "projectUrlTemplate": fake.project_url_template,
            },
        }
        stack = open_stack(
            "prod",
            engine(env=PROVIDER_ENV),
            config=config,
            secrets={"supabaseAccessToken": TEST_TOKEN, "stripeSecretKey": STRIPE_KEY},
        )
        _, steps = run(stack.preview)
    finally:
        fake.stop()
    assert steps.ops.get("stripe-webhook-endpoint") == "create", steps.ops
    assert steps.ops.get("stripe-webhook-signing-secret") == "create", steps.ops
    assert STRIPE_KEY not in steps.output, "the key must not appear in the preview"
    assert fake.count(writes_only=True) == 0, "a preview writes nothing"
