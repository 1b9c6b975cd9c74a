"""`ops webhooks-arrived`: whether Razorpay's hand-made webhook (and Stripe's) reaches subscription-manager, read
from the events the function recorded in the migrated schema's public.webhook_events."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

import dbmigrate
from tests.ops.helpers import ops

MIGRATIONS = Path(__file__).resolve().parents[2] / "sql" / "migrations"


@pytest.fixture
def migrated(fresh_db: str) -> str:
    dbmigrate.apply(fresh_db, MIGRATIONS)
    return fresh_db


def record(url: str, provider: str, event_id: str, *, hours_ago: float = 1, status: str = "processed") -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "insert into public.webhook_events (provider, event_id, event_type, payload, status, received_at) "
            "values (%s, %s, 'payment.captured', '{}', %s, now() - make_interval(secs => %s))",
            (provider, event_id, status, hours_ago * 3600),
        )


def test_no_razorpay_event_fails_and_says_what_to_set_up_in_the_dashboard(migrated, capsys):
    record(migrated, "stripe", "evt_1")  # Stripe's events say nothing about Razorpay's webhook
    assert ops("webhooks-arrived", "--database-url", migrated) == 1
    out = capsys.readouterr().out
    assert "MISSING razorpay: no webhook event in the last 168 h" in out
    assert "Razorpay's dashboard" in out and "functionSecrets.RAZORPAY_WEBHOOK_SECRET" in out


def test_recent_razorpay_events_pass_and_failures_are_counted(migrated, capsys):
    record(migrated, "razorpay", "pay_1", hours_ago=2)
    record(migrated, "razorpay", "pay_2", hours_ago=1, status="failed")
    assert ops("webhooks-arrived", "--database-url", migrated) == 0
    out = capsys.readouterr().out
    assert "ok   razorpay: 2 webhook events in the last 168 h, 1 failed" in out


def test_events_older_than_the_window_do_not_count_but_are_dated(migrated, capsys):
    record(migrated, "razorpay", "pay_old", hours_ago=48)
    assert ops("webhooks-arrived", "--database-url", migrated, "--hours", "24") == 1
    out = capsys.readouterr().out
    assert "no webhook event in the last 24 h; the last one arrived" in out


def test_both_providers_checked_together(migrated, capsys):
    record(migrated, "razorpay", "pay_1")
    assert ops("webhooks-arrived", "--database-url", migrated, "--provider", "razorpay", "--provider", "stripe") == 1
    out = capsys.readouterr().out
    assert "ok   razorpay" in out and "MISSING stripe" in out and "Stripe's dashboard" in out


def test_usage_errors_and_an_unreachable_database(capsys):
    assert ops("webhooks-arrived") == 2
    assert ops("webhooks-arrived", "--database-url", "postgresql://u:pw-not-shown@127.0.0.1:1/x") == 1
    err = capsys.readouterr().err
    assert "cannot read public.webhook_events" in err and "pw-not-shown" not in err
