"""Stripe's webhook endpoint through Pulumi's real provider host: create, no-op, change of events, drift seen by
read (refresh), re-enable, delete; the signing secret only ever in secret outputs; bad props refused at check.
Calls go to a stateful stand-in of Stripe's API whose every request is also validated by stripe-mock."""

from __future__ import annotations

import pytest

from providers.stripe.webhook_endpoint import STRIPE_EVENTS, StripeWebhookEndpointProvider
from tests.harness.provider_host import ProviderError, ProviderHost, Unknown
from tests.stripe.conftest import TEST_KEY
from tests.stripe.fake_stripe import FakeStripe

FUNCTION_URL = "https://abcdefghijklmnopqrst.supabase.co/functions/v1/subscription-manager"
SECRET_OUTPUTS = ("secret",)


def _props(fake: FakeStripe, **overrides: object) -> dict:
    return {
        "apiUrl": fake.url,
        "url": FUNCTION_URL,
        "enabledEvents": list(STRIPE_EVENTS),
        "description": "subscription-manager",
        **overrides,
    }


def _checked(host: ProviderHost, props: dict) -> dict:
    result = host.check(StripeWebhookEndpointProvider(), {}, props)
    assert not result.failures, result.failures
    assert result.inputs is not None
    return result.inputs


def _plain_text(host: ProviderHost, *results) -> str:
    parts = [host.log_text()]
    for result in results:
        parts.append(repr({k: v for k, v in result.outs.items() if k not in result.secret_outputs}))
    return "\n".join(parts)


def test_webhook_endpoint_lifecycle(host: ProviderHost, fake_stripe: FakeStripe):
    provider = StripeWebhookEndpointProvider()
    props = _checked(host, _props(fake_stripe, enabledEvents=list(reversed(STRIPE_EVENTS))))

    created = host.create(provider, props, additional_secret_outputs=SECRET_OUTPUTS)
    endpoint = fake_stripe.endpoints[created.id]
    assert endpoint["url"] == FUNCTION_URL
    assert sorted(endpoint["enabled_events"]) == sorted(STRIPE_EVENTS)
    assert endpoint["metadata"] == {"managed_by": "pulumi"}
    assert created.outs["secret"].startswith("whsec_")
    assert "secret" in created.secret_outputs, "the signing secret must be a secret output"
    secret = created.outs["secret"]

    # No-op: the same props in another order change nothing and call nothing.
    calls = len(fake_stripe.calls)
    assert host.diff(provider, created.id, created.outs, _checked(host, _props(fake_stripe))).changes is False
    assert len(fake_stripe.calls) == calls

    # A refresh with nothing changed shows no drift and keeps the secret (Stripe never returns it again).
    refreshed = host.read(provider, created.id, created.outs, additional_secret_outputs=SECRET_OUTPUTS)
    assert refreshed.outs["secret"] == secret
    assert host.diff(provider, created.id, refreshed.outs, props).changes is False

    # Changing the events: an update in place, same id, same secret.
    fewer = _checked(host, _props(fake_stripe, enabledEvents=["checkout.session.completed"]))
    diff = host.diff(provider, created.id, refreshed.outs, fewer)
    assert (diff.changes, diff.replaces) == (True, [])
    updated = host.update(provider, created.id, refreshed.outs, fewer, additional_secret_outputs=SECRET_OUTPUTS)
    assert fake_stripe.endpoints[created.id]["enabled_events"] == ["checkout.session.completed"]
    assert updated.outs["secret"] == secret

    # Drift behind our back: URL moved and the endpoint disabled in the dashboard; refresh sees both.
    fake_stripe.endpoints[created.id]["url"] = "https://attacker.example/hook"
    fake_stripe.endpoints[created.id]["status"] = "disabled"
    drifted = host.read(provider, created.id, updated.outs, additional_secret_outputs=SECRET_OUTPUTS)
    assert drifted.outs["url"] == "https://attacker.example/hook"
    assert drifted.outs["status"] == "disabled"
    assert host.diff(provider, created.id, drifted.outs, fewer).changes is True
    repaired = host.update(provider, created.id, drifted.outs, fewer, additional_secret_outputs=SECRET_OUTPUTS)
    assert fake_stripe.endpoints[created.id]["url"] == FUNCTION_URL
    assert fake_stripe.endpoints[created.id]["status"] == "enabled"
    assert host.diff(provider, created.id, repaired.outs, fewer).changes is False

    host.delete(provider, created.id, repaired.outs)
    assert created.id not in fake_stripe.endpoints
    # Deleted already (by hand): delete again is fine, and a refresh says it is gone.
    host.delete(provider, created.id, repaired.outs)
    gone = host.read(provider, created.id, repaired.outs)
    assert gone.id == ""

    text = _plain_text(host, created, refreshed, updated, drifted, repaired)
    assert secret not in text, "the signing secret appears in plain outputs or logs"
    assert TEST_KEY not in text, "the API key appears in plain outputs or logs"


def test_check_refuses_bad_urls_and_events_and_tolerates_unknowns(host: ProviderHost, fake_stripe: FakeStripe):
    provider = StripeWebhookEndpointProvider()
    refused = host.check(provider, {}, _props(fake_stripe, url="http://example.com/hook", enabledEvents=[]))
    assert {field for field, _ in refused.failures} == {"url", "enabledEvents"}
    bad_event = host.check(provider, {}, _props(fake_stripe, enabledEvents=["Checkout Completed"]))
    assert [field for field, _ in bad_event.failures] == ["enabledEvents"]
    plain_api = host.check(provider, {}, _props(fake_stripe, apiUrl="http://api.stripe.example"))
    assert [field for field, _ in plain_api.failures] == ["apiUrl"]
    # During a preview the function URL is not known yet.
    preview = host.check(provider, {}, _props(fake_stripe, url=Unknown()))
    assert preview.failures == []
    assert fake_stripe.calls == [], "check must not call Stripe (it runs during preview)"


def test_stripe_errors_name_the_operation_without_the_key(host: ProviderHost, fake_stripe: FakeStripe):
    provider = StripeWebhookEndpointProvider()
    fake_stripe.fail_next = 500
    props = _checked(host, _props(fake_stripe))
    # The SDK retries a 500 (with an idempotency key), so one failure is absorbed; then it succeeds.
    created = host.create(provider, props, additional_secret_outputs=SECRET_OUTPUTS)
    assert len(fake_stripe.endpoints) == 1, "a retried create must not make two endpoints"
    with (
        ProviderHost(env={"STRIPE_SECRET_KEY": "sk_test_wrongkey123"}) as wrong,
        pytest.raises(ProviderError) as refused,
    ):
        wrong.create(provider, props)
    assert "Stripe could not create the webhook endpoint (HTTP 401)" in refused.value.details
    assert "sk_test_wrongkey123" not in refused.value.details
    host.delete(provider, created.id, created.outs)


def test_stripe_mock_refuses_an_event_stripe_does_not_have(host: ProviderHost, require_stripe_mock: str):
    fake = FakeStripe(TEST_KEY, validate_with=require_stripe_mock).start()
    try:
        provider = StripeWebhookEndpointProvider()
        props = _checked(host, _props(fake, enabledEvents=["invoice.made_up_event"]))
        with pytest.raises(ProviderError) as refused:
            host.create(provider, props)
        assert "HTTP 400" in refused.value.details
        assert fake.violations and "enabled_events" in fake.violations[0]
    finally:
        fake.stop()
