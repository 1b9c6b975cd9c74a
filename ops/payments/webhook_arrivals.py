"""Whether the payment providers' webhooks reach subscription-manager, read from the events it recorded.

Razorpay's webhook can only be added in its dashboard (no API), so nothing in a deployment proves it works: the
only evidence is `public.webhook_events`, where the function records every event whose signature it accepted
(a delivery with a wrong secret is refused before it is recorded, so it never counts as arrived).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

PROVIDERS = ("stripe", "razorpay")
# What to check in each provider's dashboard when nothing arrived (docs/payments.md has the whole step).
DASHBOARD_HINT = {
    "razorpay": (
        "add the webhook in Razorpay's dashboard (Settings > Webhooks) with the URL "
        "<functionsUrl>/subscription-manager, the events docs/payments.md lists (subscription-manager's "
        "RAZORPAY_EVENTS), and the secret set as functionSecrets.RAZORPAY_WEBHOOK_SECRET"
    ),
    "stripe": (
        "check the endpoint in Stripe's dashboard (Developers > Webhooks): `pulumi up` creates it and sets "
        "STRIPE_WEBHOOK_SECRET; a failed delivery there shows the function's answer"
    ),
}


@dataclass(frozen=True)
class Arrivals:
    provider: str
    received: int  # events recorded within the window
    failed: int  # of those, events the function could not apply
    last_received_at: datetime | None  # the newest event ever recorded, inside the window or not

    @property
    def arrived(self) -> bool:
        return self.received > 0

    def describe(self, hours: int) -> str:
        if not self.arrived:
            last = f"; the last one arrived {self.last_received_at:%Y-%m-%d %H:%M} UTC" if self.last_received_at else ""
            return f"{self.provider}: no webhook event in the last {hours} h{last}. {DASHBOARD_HINT[self.provider]}"
        failed = f", {self.failed} failed (see webhook_events.error)" if self.failed else ""
        return (
            f"{self.provider}: {self.received} webhook events in the last {hours} h{failed}, the newest at "
            f"{self.last_received_at:%Y-%m-%d %H:%M} UTC"
        )


def webhook_arrivals(database_url: str, providers: tuple[str, ...], hours: int) -> list[Arrivals]:
    """One read-only query; the counts per provider within the last `hours`."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            """
            select provider,
                   count(*) filter (where received_at > now() - make_interval(hours => %(hours)s)),
                   count(*) filter (where received_at > now() - make_interval(hours => %(hours)s)
                                      and status = 'failed'),
                   max(received_at at time zone 'UTC')
              from public.webhook_events
             where provider = any(%(providers)s)
             group by provider
            """,
            {"hours": hours, "providers": list(providers)},
        ).fetchall()
    found = {row[0]: Arrivals(row[0], int(row[1]), int(row[2]), row[3]) for row in rows}
    return [found.get(provider, Arrivals(provider, 0, 0, None)) for provider in providers]
