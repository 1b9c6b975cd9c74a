"""Stripe's webhook endpoint for the stack's subscription-manager function (guide 002, "Configure Stripe webhook
endpoints"), and the signing secret it returns, set straight into the functions' secrets.

Children: the endpoint (providers/stripe) and a FunctionSecrets resource holding only STRIPE_WEBHOOK_SECRET (the
project's main FunctionSecrets manages the names from config and leaves this one alone). The secret travels
from the endpoint's secret output to the function secret without ever being a plain value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from providers.stripe.webhook_endpoint import StripeWebhookEndpoint, StripeWebhookEndpointArgs
from providers.supabase.function_secrets import FunctionSecrets, FunctionSecretsArgs
from stackconfig.model import StackConfig
from stackconfig.stripe import SIGNING_SECRET_NAME

__all__ = ["StripeWebhook", "StripeWebhookArgs"]

FUNCTION = "subscription-manager"


@dataclass(frozen=True, kw_only=True)
class StripeWebhookArgs:
    project_ref: pulumi.Input[str]
    functions_url: pulumi.Input[str]
    events: Sequence[str]
    api_url: str = "https://api.stripe.com"
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"

    @classmethod
    def from_config(
        cls, config: StackConfig, project_ref: pulumi.Input[str], functions_url: pulumi.Input[str]
    ) -> StripeWebhookArgs:
        """The stack's `stripeWebhook` section, for the project at `project_ref`."""
        return cls(
            project_ref=project_ref,
            functions_url=functions_url,
            events=config.stripe_webhook.events,
            api_url=config.stripe_webhook.api_url,
            management_api_url=config.supabase.management_api_url,
        )


class StripeWebhook(pulumi.ComponentResource):
    endpoint_id: pulumi.Output[str]

    def __init__(self, name: str, args: StripeWebhookArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:payments:StripeWebhook", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Stripe posts the subscribed events to the function's URL; the function checks their signature.
        self.endpoint = StripeWebhookEndpoint(
            f"{name}-endpoint",
            StripeWebhookEndpointArgs(
                url=pulumi.Output.from_input(args.functions_url).apply(lambda url: f"{url}/{FUNCTION}"),
                enabled_events=list(args.events),
                api_url=args.api_url,
            ),
            child,
        )
        # The signing secret, known only once the endpoint exists, into the function's environment.
        signing_secret: pulumi.Input[str] = self.endpoint.secret
        self.signing_secret = FunctionSecrets(
            f"{name}-signing-secret",
            FunctionSecretsArgs(
                project_ref=args.project_ref,
                secrets=pulumi.Output.secret(signing_secret).apply(lambda secret: {SIGNING_SECRET_NAME: secret}),
                management_api_url=args.management_api_url,
            ),
            child,
        )
        self.endpoint_id = self.endpoint.endpointId
        self.register_outputs({"endpointId": self.endpoint_id})
