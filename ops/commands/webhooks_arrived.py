"""`python -m ops webhooks-arrived`: whether Razorpay's (and Stripe's) webhooks reach subscription-manager."""

from __future__ import annotations

import argparse
import os
from typing import Any

import psycopg

from ops.commands.support import fail
from ops.exit_codes import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from ops.payments.webhook_arrivals import PROVIDERS, webhook_arrivals


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "webhooks-arrived",
        help="check that the payment providers' webhooks have arrived (Razorpay by default)",
        description="Counts the events subscription-manager recorded (public.webhook_events) per provider in the "
        "last --hours. Exits 1 when a provider has none, naming what to check in its dashboard. "
        "Send a test event from the dashboard first on a stack without live payments.",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL"),
        help="the project's database (default: $DATABASE_URL); read only",
    )
    parser.add_argument(
        "--provider",
        action="append",
        choices=PROVIDERS,
        default=None,
        help="repeatable (default: razorpay, whose webhook is set up by hand)",
    )
    parser.add_argument("--hours", type=int, default=24 * 7, help="how far back to look (default: 168)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not args.database_url:
        print("usage error: --database-url is required (or set $DATABASE_URL)")
        return EXIT_USAGE
    if args.hours < 1:
        print("usage error: --hours must be at least 1")
        return EXIT_USAGE
    providers = tuple(dict.fromkeys(args.provider or ["razorpay"]))
    try:
        arrivals = webhook_arrivals(args.database_url, providers, args.hours)
    except psycopg.Error as exc:
        # The driver's message names the host and the reason, never the password.
        return fail(
            f"cannot read public.webhook_events ({type(exc).__name__}: {str(exc).strip()}); check "
            "--database-url and that the schema is migrated"
        )
    for found in arrivals:
        print(f"{'ok  ' if found.arrived else 'MISSING'} {found.describe(args.hours)}")
    return EXIT_OK if all(found.arrived for found in arrivals) else EXIT_FAILED
