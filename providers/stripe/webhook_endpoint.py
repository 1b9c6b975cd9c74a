"""Stripe's webhook endpoint (guide 002, "Configure Stripe webhook endpoints"), as a resource of the program.

Props (camelCase, as the engine stores them):
  apiUrl         Stripe's API base (https://api.stripe.com; a local server in tests)
  url            where Stripe sends events: the stack's subscription-manager URL
  enabledEvents  the event types, sorted (by default the ones functions/subscription-manager handles)
  description    shown in Stripe's dashboard
Outputs add:
  endpointId     Stripe's id (we_...), also the resource id
  status         enabled or disabled (someone may disable it in the dashboard; the next update enables it again)
  secret         the signing secret (whsec_...), returned by Stripe only when the endpoint is created. An
                 additional secret output: encrypted in the state, handed to the function's secrets, never shown.

The API key is never a prop: STRIPE_SECRET_KEY wins (CI sets it), then the stack's secret `stripeSecretKey`,
which the engine hands to `configure`. Each method makes its own client (providers are pickled). check and diff
call nothing (they run during preview) and tolerate unknown values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from providers.base import Redactor, changed_keys, diff_result, is_unknown
from stackconfig.stripe import STRIPE_EVENTS
from stackconfig.urls import insecure_url_problem

DEFAULT_API_URL = "https://api.stripe.com"
KEY_VARIABLE = "STRIPE_SECRET_KEY"
EVENT_NAME = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)+)$")
MANAGED_BY = {"managed_by": "pulumi"}


class StripeError(Exception):
    """A Stripe call that stops the deployment; names the operation and the fix, never the key or a secret."""


def resolve_key(configured: str | None) -> str:
    key = os.environ.get(KEY_VARIABLE) or configured
    if not key:
        raise StripeError(
            "No Stripe API key: set STRIPE_SECRET_KEY, or run `pulumi config set --secret stripeSecretKey <key>` "
            "(a restricted key with write access to Webhook Endpoints is enough)."
        )
    return key


def _is_secure_url(value: str) -> bool:
    # The program's one rule for URLs a credential travels to: https, or http to loopback.
    return insecure_url_problem(value) is None


def _events(value: Any) -> list[str]:
    return sorted({str(event) for event in value or []})


class StripeWebhookEndpointProvider(ResourceProvider):
    def configure(self, req: ConfigureRequest) -> None:
        configured = req.config.get("stripeSecretKey")
        # Pulumi.yaml's default is "" (the engine requires a default for an optional key): empty means unset.
        self._configured_key = configured if isinstance(configured, str) and configured else None

    def _client(self, props: Mapping[str, Any]) -> tuple[Any, Redactor]:
        # Imported here: the provider is pickled by reference, and check/diff never need the SDK.
        import stripe

        key = resolve_key(getattr(self, "_configured_key", None))
        client = stripe.StripeClient(
            key, base_addresses={"api": props.get("apiUrl") or DEFAULT_API_URL}, max_network_retries=2
        )
        return client, Redactor(key)

    # ------------------------------------------------------------------ pure (preview)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        url = news.get("url")
        if not is_unknown(url) and not (isinstance(url, str) and _is_secure_url(url)):
            failures.append(CheckFailure("url", "Stripe sends events to an https:// URL (http:// only on localhost)"))
        api_url = news.get("apiUrl") or DEFAULT_API_URL
        if not is_unknown(api_url) and not _is_secure_url(str(api_url)):
            failures.append(
                CheckFailure("apiUrl", "the API key travels to apiUrl: https:// (http:// only on localhost)")
            )
        events = news.get("enabledEvents")
        if not is_unknown(events):
            if not events:
                failures.append(CheckFailure("enabledEvents", f"name at least one event, e.g. {STRIPE_EVENTS[0]}"))
            for event in events or []:
                if not isinstance(event, str) or not EVENT_NAME.match(event):
                    failures.append(CheckFailure("enabledEvents", f"{event!r} is not a Stripe event type"))
        inputs = {**news, "enabledEvents": _events(events) if not is_unknown(events) else events}
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = {**olds, "enabledEvents": _events(olds.get("enabledEvents"))}
        if not is_unknown(news.get("enabledEvents")):
            news = {**news, "enabledEvents": _events(news.get("enabledEvents"))}
        changes = changed_keys(olds, news, ("url", "enabledEvents", "description", "apiUrl"))
        # Disabled in the dashboard (seen by refresh): the update enables it again.
        if olds.get("status") not in (None, "enabled"):
            changes.append("status")
        return diff_result(changes)

    # ------------------------------------------------------------------ calls

    def create(self, props: dict[str, Any]) -> CreateResult:
        client, redactor = self._client(props)
        params = {
            "url": props["url"],
            "enabled_events": _events(props["enabledEvents"]),
            "description": props.get("description") or "",
            "metadata": MANAGED_BY,
        }
        endpoint = self._call(
            redactor, "create the webhook endpoint", lambda: client.v1.webhook_endpoints.create(params)
        )
        secret = endpoint.get("secret")
        if not secret:
            # Only creation returns it; without it the function could verify nothing. Remove what was made.
            self._call(
                redactor,
                "delete the endpoint created without a secret",
                lambda: client.v1.webhook_endpoints.delete(endpoint["id"]),
            )
            raise StripeError(f"Stripe created webhook endpoint {endpoint['id']} without a signing secret; deleted it")
        return CreateResult(endpoint["id"], self._outs(props, endpoint, secret))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client, redactor = self._client(news)
        params = {
            "url": news["url"],
            "enabled_events": _events(news["enabledEvents"]),
            "description": news.get("description") or "",
            "disabled": False,
        }
        endpoint = self._call(
            redactor, f"update webhook endpoint {id_}", lambda: client.v1.webhook_endpoints.update(id_, params)
        )
        return UpdateResult(self._outs(news, endpoint, olds.get("secret")))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client, redactor = self._client(props)
        endpoint = self._call(
            redactor, f"read webhook endpoint {id_}", lambda: client.v1.webhook_endpoints.retrieve(id_), missing_ok=True
        )
        if endpoint is None:
            return ReadResult(None, {})  # deleted behind our back: the next up creates it again
        return ReadResult(id_, self._outs(props, endpoint, props.get("secret")))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client, redactor = self._client(props)
        # Already gone is what we wanted.
        self._call(
            redactor, f"delete webhook endpoint {id_}", lambda: client.v1.webhook_endpoints.delete(id_), missing_ok=True
        )

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _outs(props: Mapping[str, Any], endpoint: Mapping[str, Any], secret: str | None) -> dict[str, Any]:
        return {
            **props,
            "url": endpoint.get("url"),
            "enabledEvents": _events(endpoint.get("enabled_events")),
            "description": endpoint.get("description") or "",
            "endpointId": endpoint.get("id"),
            "status": endpoint.get("status"),
            "secret": secret,
        }

    @staticmethod
    def _call(redactor: Redactor, what: str, call: Any, *, missing_ok: bool = False) -> Any:
        """The call's answer; None for a 404 when `missing_ok`; otherwise a StripeError without any secret."""
        import stripe

        try:
            answer = call()
        except stripe.StripeError as exc:
            if missing_ok and exc.http_status == 404:
                return None
            status = f"HTTP {exc.http_status}" if exc.http_status else "no answer"
            message = redactor(f"Stripe could not {what} ({status}): {exc.user_message or exc}")
            raise StripeError(message) from None
        # StripeObject is not a dict (and refuses .get); the plain answer is what the outputs are made of.
        return answer.to_dict()


@dataclass(frozen=True, kw_only=True)
class StripeWebhookEndpointArgs:
    url: pulumi.Input[str]
    enabled_events: Sequence[str] = field(default_factory=lambda: list(STRIPE_EVENTS))
    description: str = "subscription-manager (managed by Pulumi)"
    api_url: pulumi.Input[str] = DEFAULT_API_URL


class StripeWebhookEndpoint(pulumi.dynamic.Resource, module="stripe", name="WebhookEndpoint"):
    # Named as the props are (a dynamic resource's outputs are its props).
    endpointId: pulumi.Output[str]
    status: pulumi.Output[str]
    secret: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: StripeWebhookEndpointArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "apiUrl": args.api_url,
            "url": args.url,
            "enabledEvents": sorted(args.enabled_events),
            "description": args.description,
            "endpointId": None,
            "status": None,
            "secret": None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["secret"]))
        super().__init__(StripeWebhookEndpointProvider(), resource_name, props, opts)
