"""The platform's provider spend for the daily spend alarm, the dashboard and the report: public.provider_spend_by_day
on the migrated schema (every paid unit from the append-only spend ledger at its price, per UTC day; nothing from
usage_metrics, which users' actions write; for whom it is callable), and the meter (ops/metrics/provider_spend.py)
reading it through a PostgREST stand-in of the RPC endpoint onto a local CloudWatch (moto), as the scheduled
Lambda function does."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import boto3
import psycopg
import pytest
from moto.server import ThreadedMotoServer

from ops.localdb import free_tcp_port
from ops.metrics.gauges import MetricsError
from ops.metrics.provider_spend import DIMENSION, METRIC, NAMESPACE, TOTAL, fetch_spend, publish_spend, utc_day
from tests.harness.loopback_server import serve_on_loopback
from tests.harness.postgrest_rpc import SERVICE_KEY, spend_rpc
from tests.schema.sessions import acting_as, new_user

# The dearest output price of any model a tier may use (claude-opus-4-1, $75 per million): what a ledger token costs.
AI_TOKEN_USD = Decimal("0.000075")


def reserve(conn, user: str, unit: str, quantity: int, settle_to: int | None = None) -> None:
    """A paid unit as the functions record it: reserved before the call, settled to the real count after."""
    [reservation] = conn.execute(
        "select reservation_id from private.reserve_spend(%s, %s, %s, 'test')", (user, unit, quantity)
    ).fetchone()
    assert reservation is not None, f"{unit}: the reservation was refused"
    if settle_to is not None:
        conn.execute("select private.settle_spend(%s, %s)", (reservation, settle_to))


def usage_cost(conn, user: str, cost: str) -> None:
    """A usage_metrics row with a cost, as an AI reply leaves it: a row tied to the user's own actions."""
    conn.execute(
        "insert into public.usage_metrics (user_id, action, metric_type, quantity, cost_usd, metadata) "
        "values (%s, 'ai-chat', 'tokens', 100, %s, %s)",
        (user, cost, json.dumps({"provider": "openai"})),
    )


def spend(conn, since: str = "(now() at time zone 'utc')::date") -> dict[tuple[date, str], Decimal]:
    rows = conn.execute(f"select day, unit, spend_usd from public.provider_spend_by_day({since})").fetchall()
    return {(day, unit): usd for day, unit, usd in rows}


def today(conn) -> date:
    return conn.execute("select (now() at time zone 'utc')::date").fetchone()[0]


def test_every_ledger_unit_at_its_price_per_day(db):
    user, other = new_user(db, tier="business"), new_user(db, tier="business")
    reserve(db, user, "translation_characters", 300_000, settle_to=250_000)  # $20 per million: settled, $5
    reserve(db, other, "ocr_pages", 10)  # $1.50 per 1,000
    reserve(db, user, "sms_segments", 3)  # $0.0083 each
    reserve(db, user, "emails", 10, settle_to=4)  # $0.0009 each
    reserve(db, user, "ai_tokens", 1000, settle_to=500)  # no model in the ledger: the dearest output price
    reserve(db, user, "push_messages", 5)  # free
    day = today(db)
    assert spend(db) == {
        (day, "translation_characters"): Decimal("5"),
        (day, "ocr_pages"): Decimal("0.015"),
        (day, "sms_segments"): Decimal("0.0249"),
        (day, "emails"): Decimal("0.0036"),
        (day, "ai_tokens"): 500 * AI_TOKEN_USD,
        (day, "push_messages"): Decimal("0"),
    }
    assert spend(db, "(now() at time zone 'utc')::date + 1") == {}, "nothing after the day asked for"


def test_earlier_days_are_their_own_rows(db):
    user = new_user(db, tier="business")
    yesterday = today(db) - timedelta(days=1)
    db.execute(
        "insert into private.spend_ledger (user_id, unit, day, quantity, source) values (%s, 'ocr_pages', %s, 200, 't')",
        (user, yesterday),
    )
    reserve(db, user, "ocr_pages", 100)
    assert spend(db, "(now() at time zone 'utc')::date - 1") == {
        (yesterday, "ocr_pages"): Decimal("0.3"),
        (today(db), "ocr_pages"): Decimal("0.15"),
    }


def test_usage_metrics_costs_are_not_spend(db):
    """usage_metrics rows come and go with users' own actions (and erasures): a user could lower a figure read
    from them, or raise it without a provider being called. Only the ledger counts."""
    user = new_user(db, tier="business")
    usage_cost(db, user, "12.5")
    assert spend(db) == {}
    reserve(db, user, "emails", 1)
    assert spend(db) == {(today(db), "emails"): Decimal("0.0009")}


def test_a_user_cannot_lower_the_figure_by_deleting_ledger_rows(db):
    user = new_user(db, tier="business")
    reserve(db, user, "sms_segments", 2)
    with acting_as(db, "authenticated", user), pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("delete from private.spend_ledger where user_id = %s", (user,))


def test_nothing_spent_is_no_rows(db):
    assert spend(db) == {}


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_users_cannot_read_the_platforms_spend(db, role):
    with acting_as(db, role, new_user(db)), pytest.raises(psycopg.errors.InsufficientPrivilege):
        spend(db)


def test_the_service_role_may(db):
    reserve(db, new_user(db, tier="business"), "ocr_pages", 2)
    with acting_as(db, "service_role"):
        assert spend(db) == {(today(db), "ocr_pages"): Decimal("0.003")}


@pytest.fixture
def cloudwatch(monkeypatch):
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_tcp_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield boto3.client("cloudwatch", endpoint_url=f"http://{host}:{port}", region_name="eu-central-1")
    finally:
        server.stop()


def test_the_meter_publishes_todays_total_and_each_unit(migrated_copy, cloudwatch):
    with psycopg.connect(migrated_copy, autocommit=True) as conn:
        user = new_user(conn, tier="business")
        usage_cost(conn, user, "1.25")  # not spend
        reserve(conn, user, "translation_characters", 100_000)
        reserve(conn, user, "ocr_pages", 100)
    now = datetime.now(UTC)
    with serve_on_loopback(spend_rpc(migrated_copy)) as url:
        found = fetch_spend(url, SERVICE_KEY, utc_day(now))
        assert fetch_spend(url, SERVICE_KEY, utc_day(now) + timedelta(days=1)) == {}
        with pytest.raises(MetricsError, match="answered 401"):
            fetch_spend(url, "a-wrong-key", utc_day(now))
    assert found == {"translation_characters": 2.0, "ocr_pages": 0.15}
    assert publish_spend(found, "prod", cloudwatch, now) == {
        TOTAL: 2.15,
        "translation_characters": 2.0,
        "ocr_pages": 0.15,
    }
    stats = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=METRIC,
        Statistics=["Maximum"],
        Period=900,
        Dimensions=[{"Name": "Stack", "Value": "prod"}, {"Name": DIMENSION, "Value": TOTAL}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
    )
    assert [point["Maximum"] for point in stats["Datapoints"]] == [2.15], "what the daily spend alarm compares"


def test_an_unreachable_project_is_a_failed_run_naming_the_rpc():
    with pytest.raises(MetricsError, match="rpc/provider_spend_by_day could not be read"):
        fetch_spend("http://127.0.0.1:1", SERVICE_KEY, datetime.now(UTC).date(), timeout=2)
