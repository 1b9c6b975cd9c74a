"""Pulumi dynamic providers over Stripe's API."""

from providers.stripe.webhook_endpoint import (
    STRIPE_EVENTS,
    StripeWebhookEndpoint,
    StripeWebhookEndpointArgs,
    StripeWebhookEndpointProvider,
)

__all__ = ["STRIPE_EVENTS", "StripeWebhookEndpoint", "StripeWebhookEndpointArgs", "StripeWebhookEndpointProvider"]
