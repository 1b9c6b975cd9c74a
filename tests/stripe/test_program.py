"""The program's Stripe wiring under Pulumi's mocks with the real stack files: the endpoint points at the
stack's subscription-manager with the events the function handles, and its signing secret reaches the functions'
secrets only as a secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from ops.engineless.program import run_program
from tests.harness.provider_host import Secret
from tests.supabase.test_program import ProjectMocks

ENDPOINT_TYPE = "pulumi-python:dynamic/stripe:WebhookEndpoint"
STRIPE_WEBHOOK_TS = Path(__file__).resolve().parents[2] / "functions" / "subscription-manager" / "stripe_webhook.ts"
SIGNING_SECRET = "whsec_from_stripe_at_creation_0123"


class StripeMocks(ProjectMocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if args.typ != ENDPOINT_TYPE:
            return super().new_resource(args)
        return "we_mock", {**dict(args.inputs), "endpointId": "we_mock", "status": "enabled", "secret": SIGNING_SECRET}


def handled_stripe_events() -> list[str]:
    """The event types functions/subscription-manager/stripe_webhook.ts acts on (its switch's case labels)."""
    cases = re.findall(r'^\s*case "([a-z_.]+)":', STRIPE_WEBHOOK_TS.read_text(), re.M)
    assert cases, f"no event cases found in {STRIPE_WEBHOOK_TS}"
    return cases


def run(overrides: dict | None = None):
    return run_program(
        "staging",
        {
            "stripeWebhook": {"enabled": True},
            "functionSecrets": Secret({"STRIPE_SECRET_KEY": "sk_test_cfg"}),
            **(overrides or {}),
        },
        mocks=StripeMocks(),
    )


def test_the_endpoint_points_at_subscription_manager_with_the_guides_events():
    program = run()
    [endpoint] = program.of_type(ENDPOINT_TYPE)
    assert endpoint.inputs["url"] == "https://abcdefghijklmnopqrst.supabase.co/functions/v1/subscription-manager"
    # Every event the function acts on is subscribed (a status change, refund or dispute left out would never
    # arrive, and the tier would not move).
    assert sorted(handled_stripe_events()) == endpoint.inputs["enabledEvents"]
    assert "secret" in endpoint.options["additional_secret_outputs"]
    assert program.outputs["stripeWebhookEndpointId"] == "we_mock"


def test_the_signing_secret_goes_into_the_function_secrets_as_a_secret_only():
    program = run()
    signing = program.named("stripe-webhook-signing-secret")
    assert signing.inputs["secrets"] == {"STRIPE_WEBHOOK_SECRET": SIGNING_SECRET}
    assert "secrets" in signing.secret_inputs
    # The config's functionSecrets do not manage the name (it would delete it on the next up).
    assert "STRIPE_WEBHOOK_SECRET" not in program.named("supabase-function-secrets").inputs["secrets"]
    plain = json.dumps({k: v for k, v in program.outputs.items() if k not in program.secret_outputs}, default=str)
    assert SIGNING_SECRET not in plain
    assert not [w for w in program.warnings if "STRIPE_WEBHOOK_SECRET" in w], "it is set, not missing"


def test_a_signing_secret_in_config_is_refused_when_the_stack_owns_the_endpoint():
    with pytest.raises(Exception, match="STRIPE_WEBHOOK_SECRET: the stack's Stripe webhook endpoint sets it"):
        run({"functionSecrets": Secret({"STRIPE_WEBHOOK_SECRET": "whsec_by_hand"})})


def test_on_in_the_committed_stack_files_and_off_when_switched_off():
    for stack in ("staging", "prod"):
        assert len(run_program(stack, {}, mocks=StripeMocks()).of_type(ENDPOINT_TYPE)) == 1, stack
    program = run_program("staging", {"stripeWebhook": {"enabled": False}}, mocks=StripeMocks())
    assert not program.of_type(ENDPOINT_TYPE)
