"""Stripe's webhook endpoint, which the stack creates for its subscription-manager function.

Keys: stripeWebhook; secret: stripeSecretKey (the API key the endpoint is created with; STRIPE_SECRET_KEY in the
environment takes precedence).
"""

from __future__ import annotations

import json

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
