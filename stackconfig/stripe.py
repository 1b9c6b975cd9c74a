"""Stripe's webhook endpoint, which the stack creates for its subscription-manager function.

Keys: stripeWebhook, stripePublishableKey (public: the frontend's VITE_STRIPE_PUBLISHABLE_KEY); secret:
stripeSecretKey (the API key the endpoint is created with; STRIPE_SECRET_KEY in the environment takes precedence).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from pydantic import BaseModel, Field, field_validator

from stackconfig.base import SECTION_CONFIG
from stackconfig.paths import PROJECT_ROOT

# The events functions/subscription-manager handles (guide 002's four, and the status changes, refunds and
# disputes that move a tier: docs/payments.md), listed once beside the function, which imports the same file.
STRIPE_EVENTS_FILE = PROJECT_ROOT / "functions" / "subscription-manager" / "stripe_events.json"
STRIPE_EVENTS: tuple[str, ...] = tuple(json.loads(STRIPE_EVENTS_FILE.read_text()))
# Set by the endpoint resource itself, never in functionSecrets.
SIGNING_SECRET_NAME = "STRIPE_WEBHOOK_SECRET"


class StripeWebhookConfig(BaseModel):
    """Key `stripeWebhook`: off by default; on, the stack owns the endpoint and its signing secret."""

    model_config = SECTION_CONFIG

    enabled: bool = False
    api_url: str = "https://api.stripe.com"
    events: list[str] = Field(default_factory=lambda: list(STRIPE_EVENTS), min_length=1)

    @field_validator("api_url")
    @classmethod
    def _https(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError("the Stripe API key travels to apiUrl: use https://")
        return value.rstrip("/")


# The environment variable that takes precedence over `stripeSecretKey` (CI sets it).
SECRET_KEY_VARIABLE = "STRIPE_SECRET_KEY"
# Stripe's key prefixes: publishable keys are public by design; secret and restricted keys never leave the backend.
PUBLISHABLE_PREFIXES = ("pk_live_", "pk_test_")
PRIVATE_KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_")


def missing_secret_key_problem(
    webhook: StripeWebhookConfig, configured: object, environ: Mapping[str, str]
) -> str | None:
    """Why the stack cannot create its webhook endpoint: payments are on and no API key reaches the provider.

    Said before anything is touched: a stack that went ahead would deploy subscription-manager without its
    signing secret and answer every payment event with an error until someone noticed."""
    if not webhook.enabled or configured is not None or environ.get(SECRET_KEY_VARIABLE):
        return None
    return (
        "stripeSecretKey: required while stripeWebhook.enabled is true (the stack creates Stripe's webhook endpoint "
        "with it). Set it with `pulumi config set --secret stripeSecretKey <key>` (a restricted key with write "
        f"access to Webhook Endpoints is enough; CI may set {SECRET_KEY_VARIABLE} instead), or set "
        "stripeWebhook.enabled: false to run without payments"
    )


def publishable_key_problem(value: str) -> str | None:
    """Why `value` may not be the frontend's Stripe key; never repeats the value (it may be a secret key)."""
    if value.startswith(PRIVATE_KEY_PREFIXES):
        return (
            "is a Stripe secret, restricted or signing key, which must never reach the browser; use the "
            "publishable key (pk_live_... or pk_test_...) and keep the secret key in stripeSecretKey / "
            "functionSecrets.STRIPE_SECRET_KEY"
        )
    if not value.startswith(PUBLISHABLE_PREFIXES):
        return "is not a Stripe publishable key (pk_live_... or pk_test_...)"
    return None
