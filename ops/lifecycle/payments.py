"""Cancelling a deleted account's subscriptions at the payment provider, so nothing renews or bills again.

Stripe: `DELETE /v1/subscriptions/<id>` through the official SDK (cancels at once); a subscription Stripe no
longer knows (404) is already over. Razorpay, as its API allows: a subscription (`sub_...`) is cancelled with
`POST /v1/subscriptions/<id>/cancel {"cancel_at_cycle_end": 0}`; one it reports as already cancelled, or does not
know, is over. An order (`order_...`, what the checkout sells) is a one-off payment with nothing to cancel: its
paid period simply ends. Errors name the provider and the status, never a key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import quote

import requests
import stripe

from ops.lifecycle.errors import LifecycleError

STRIPE_API_URL = "https://api.stripe.com"
RAZORPAY_API_URL = "https://api.razorpay.com"
TIMEOUT_SECONDS = 30.0


class Cancellation(Enum):
    CANCELED = "canceled"
    ALREADY_OVER = "already_over"
    NOTHING_RECURRING = "nothing_recurring"


@dataclass
class PaymentProviders:
    stripe_key: str | None = field(default=None, repr=False)
    stripe_api_url: str = STRIPE_API_URL
    razorpay_key_id: str | None = None
    razorpay_key_secret: str | None = field(default=None, repr=False)
    razorpay_api_url: str = RAZORPAY_API_URL
    calls: int = 0

    @classmethod
    def from_env(cls) -> PaymentProviders:
        env = os.environ
        return cls(
            stripe_key=env.get("STRIPE_SECRET_KEY"),
            stripe_api_url=env.get("STRIPE_API_URL", STRIPE_API_URL),
            razorpay_key_id=env.get("RAZORPAY_KEY_ID"),
            razorpay_key_secret=env.get("RAZORPAY_KEY_SECRET"),
            razorpay_api_url=env.get("RAZORPAY_API_URL", RAZORPAY_API_URL),
        )

    def cancel(self, provider: str, subscription_id: str) -> Cancellation:
        if provider == "stripe":
            return self._cancel_stripe(subscription_id)
        if provider == "razorpay":
            return self._cancel_razorpay(subscription_id)
        raise LifecycleError(f"subscription {subscription_id} is with {provider!r}, a provider nothing here cancels")

    def _cancel_stripe(self, subscription_id: str) -> Cancellation:
        if not self.stripe_key:
            raise LifecycleError(
                f"the account has a live Stripe subscription ({subscription_id}): set "
                "STRIPE_SECRET_KEY so it is cancelled before the account is erased"
            )
        client = stripe.StripeClient(
            self.stripe_key, base_addresses={"api": self.stripe_api_url}, max_network_retries=2
        )
        self.calls += 1
        try:
            client.v1.subscriptions.cancel(subscription_id)
        except stripe.StripeError as exc:
            if exc.http_status == 404:
                return Cancellation.ALREADY_OVER
            status = f"HTTP {exc.http_status}" if exc.http_status else "no answer"
            raise LifecycleError(
                f"Stripe did not cancel subscription {subscription_id} ({status}); the erasure "
                "stops here and the next run tries again"
            ) from None
        return Cancellation.CANCELED

    def _cancel_razorpay(self, subscription_id: str) -> Cancellation:
        if not subscription_id.startswith("sub_"):
            return Cancellation.NOTHING_RECURRING
        if not self.razorpay_key_id or not self.razorpay_key_secret:
            raise LifecycleError(
                f"the account has a live Razorpay subscription ({subscription_id}): set "
                "RAZORPAY_KEY_ID and RAZORPAY_KEY_SECRET so it is cancelled first"
            )
        url = f"{self.razorpay_api_url.rstrip('/')}/v1/subscriptions/{quote(subscription_id, safe='')}/cancel"
        self.calls += 1
        try:
            response = requests.post(
                url,
                json={"cancel_at_cycle_end": 0},
                timeout=TIMEOUT_SECONDS,
                auth=(self.razorpay_key_id, self.razorpay_key_secret),
            )
        except requests.RequestException as exc:
            raise LifecycleError(
                f"Razorpay could not be reached to cancel {subscription_id} "
                f"({type(exc).__name__}); the next run tries again"
            ) from None
        if response.status_code == 200:
            return Cancellation.CANCELED
        if response.status_code == 404 or (response.status_code == 400 and _already_cancelled(response)):
            return Cancellation.ALREADY_OVER
        raise LifecycleError(
            f"Razorpay did not cancel subscription {subscription_id} (HTTP "
            f"{response.status_code}); the erasure stops here and the next run tries again"
        )


def _already_cancelled(response: requests.Response) -> bool:
    try:
        description = str(response.json()["error"]["description"]).lower()
    except (ValueError, KeyError, TypeError):
        return False
    return "cancelled" in description or "completed" in description
