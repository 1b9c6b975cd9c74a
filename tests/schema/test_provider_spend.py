"""Today's provider spend for the daily cost alarm: public.provider_spend_since on the migrated schema (AI replies'
cost from usage_metrics, every other paid unit from the spend ledger at its price; for whom it is callable), and
the meter (ops/metrics/provider_spend.py) reading it through a PostgREST
stand-in of the RPC endpoint onto a local CloudWatch (moto), as the scheduled Lambda function does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

import boto3
import psycopg
import pytest
from moto.server import ThreadedMotoServer

from ops.localdb import free_tcp_port
from ops.metrics.gauges import MetricsError
from ops.metrics.provider_spend import METRIC, NAMESPACE, fetch_spend, publish_spend, start_of_day
from tests.harness.loopback_server import serve_on_loopback
from tests.schema.sessions import acting_as, new_user

SERVICE_KEY = "service-role-key-for-the-rpc"


def usage(
    conn,
    user: str,
    action: str,
    metric: str,
    quantity: int,
    cost: str | None,
    provider: str | None,
    hours_ago: float = 1,
) -> None:
    conn.execute(
        "insert into public.usage_metrics (user_id, action, metric_type, quantity, cost_usd, metadata, created_at) "
        "values (%s, %s, %s, %s, %s, %s, now() - make_interval(secs => %s))",
        (
            user,
            action,
            metric,
            quantity,
            cost,
            json.dumps({"provider": provider} if provider else {}),
            hours_ago * 3600,
        ),
    )


def reserve(conn, user: str, unit: str, quantity: int, settle_to: int | None = None) -> None:
    """A paid unit as the functions record it: reserved before the call, settled to the real count after."""
    [reservation] = conn.execute(
        "select reservation_id from private.reserve_spend(%s, %s, %s, 'test')", (user, unit, quantity)
    ).fetchone()
    assert reservation is not None, f"{unit}: the reservation was refused"
    if settle_to is not None:
        conn.execute("select private.settle_spend(%s, %s)", (reservation, settle_to))


def spend(conn, since: str = "now() - interval '1 day'") -> dict[str, Decimal]:
    rows = conn.execute(f"select provider, spend_usd from public.provider_spend_since({since})").fetchall()
    return dict(rows)


def test_ai_costs_per_provider_and_every_ledger_unit_at_its_price(db):
    user, other = new_user(db, tier="business"), new_user(db, tier="business")
    usage(db, user, "ai-chat", "tokens", 900, "0.012000", "openai")
    usage(db, other, "ai-chat-message", "tokens", 500, "0.003000", "openai")
    usage(db, user, "ai-chat", "tokens", 300, "0.020000", "claude")
    usage(db, user, "ai-chat", "request", 1, None, None)  # requests cost nothing by themselves
    usage(db, user, "ai-chat", "tokens", 100, "5.000000", "openai", hours_ago=30)  # before the window
    reserve(db, user, "translation_characters", 300_000, settle_to=250_000)  # $20 per million: settled, $5
    reserve(db, other, "ocr_pages", 10)  # $1.50 per 1,000
    reserve(db, user, "sms_segments", 3)  # $0.0083 each
    reserve(db, user, "emails", 10, settle_to=4)  # $0.0009 each
    reserve(db, user, "ai_tokens", 1000)  # priced per reply from usage_metrics, not twice
    reserve(db, user, "push_messages", 5)  # free
    assert spend(db) == {
        "openai": Decimal("0.015"),
        "claude": Decimal("0.02"),
        "translation_characters": Decimal("5"),
        "ocr_pages": Decimal("0.015"),
        "sms_segments": Decimal("0.0249"),
        "emails": Decimal("0.0036"),
    }
    assert spend(db, "now() + interval '1 minute'") == {}, "nothing after the moment asked for"


def test_nothing_spent_is_no_rows(db):
    assert spend(db) == {}


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_users_cannot_read_the_platforms_spend(db, role):
    with acting_as(db, role, new_user(db)), pytest.raises(psycopg.errors.InsufficientPrivilege):
        spend(db)


def test_the_service_role_may(db):
    usage(db, new_user(db), "ai-chat", "tokens", 10, "0.5", "gemini")
    with acting_as(db, "service_role"):
        assert spend(db) == {"gemini": Decimal("0.5")}


def postgrest_rpc(schema_url: str) -> type[BaseHTTPRequestHandler]:
    """POST /rest/v1/rpc/provider_spend_since as PostgREST serves it: the key in apikey and Authorization, the
    arguments as a JSON object, the rows as a JSON array, executed as the key's role."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != "/rest/v1/rpc/provider_spend_since":
                return self._answer(404, {"message": "not found"})
            if (
                self.headers.get("apikey") != SERVICE_KEY
                or self.headers.get("Authorization") != f"Bearer {SERVICE_KEY}"
            ):
                return self._answer(401, {"message": "Invalid API key"})
            args = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with psycopg.connect(schema_url, autocommit=True) as conn, conn.transaction():
                conn.execute("set local role service_role")
                rows = conn.execute(
                    "select provider, spend_usd::float8 from public.provider_spend_since(%s::timestamptz)",
                    (args["p_since"],),
                ).fetchall()
            self._answer(200, [{"provider": p, "spend_usd": s} for p, s in rows])

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


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


def test_the_meter_publishes_todays_total_and_each_provider(migrated_copy, cloudwatch):
    with psycopg.connect(migrated_copy, autocommit=True) as conn:
        user = new_user(conn, tier="business")
        usage(conn, user, "ai-chat", "tokens", 900, "1.250000", "openai", hours_ago=0)
        reserve(conn, user, "translation_characters", 100_000)
    now = datetime.now(UTC)
    with serve_on_loopback(postgrest_rpc(migrated_copy)) as url:
        found = fetch_spend(url, SERVICE_KEY, start_of_day(now) - timedelta(minutes=1))
        with pytest.raises(MetricsError, match="answered 401"):
            fetch_spend(url, "a-wrong-key", start_of_day(now))
    assert found == {"openai": 1.25, "translation_characters": 2.0}
    assert publish_spend(found, "prod", cloudwatch, now) == {"ALL": 3.25, "openai": 1.25, "translation_characters": 2.0}
    stats = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=METRIC,
        Statistics=["Maximum"],
        Period=900,
        Dimensions=[{"Name": "Stack", "Value": "prod"}, {"Name": "Provider", "Value": "ALL"}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=5),
    )
    assert [point["Maximum"] for point in stats["Datapoints"]] == [3.25], "what the ceiling alarm compares"


def test_an_unreachable_project_is_a_failed_run_naming_the_rpc():
    with pytest.raises(MetricsError, match="rpc/provider_spend_since could not be read"):
        fetch_spend("http://127.0.0.1:1", SERVICE_KEY, datetime.now(UTC), timeout=2)
