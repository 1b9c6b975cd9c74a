"""Row-level security, table by table: anon, the row's owner, another user and service_role, each trying
select, insert, update and delete, against the outcome stated below for every table in public.

The tables come from the catalog: a table added to public without an entry in EXPECTED fails the suite.
A check "allows" when the statement succeeds and touches the row; it "denies" on a privilege or policy
error, or when the row is invisible (0 rows). Inserts write a row belonging to the owner, so "other" and
"anon" inserting it means writing into someone else's data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
import pytest

from tests.schema.sessions import acting_as
from tests.schema.world import World, build_world, vector

ACTORS = ("anon", "owner", "other", "service_role")
OPERATIONS = ("select", "insert", "update", "delete")
LETTERS = {"A": "anon", "O": "owner", "X": "other", "S": "service_role"}


@dataclass(frozen=True)
class Expect:
    """Who may do what, one string of actor letters per operation: A anon, O owner, X other, S service_role."""

    select: str
    insert: str
    update: str
    delete: str

    def allowed(self, operation: str) -> set[str]:
        return {LETTERS[letter] for letter in getattr(self, operation)}


OWNER_CRUD = Expect("OS", "OS", "OS", "OS")
OWNER_READS = Expect("OS", "S", "S", "S")
BACKEND_ONLY = Expect("S", "S", "S", "S")


@dataclass(frozen=True)
class Spec:
    expect: Expect
    row: str  # World key of the owner's row the checks read, update and delete
    payload: Callable[[World], dict[str, object]]
    update_column: str
    key: str = "id"
    insert_owner: Callable[[World], str] = field(default=lambda w: w.owner)


EXPECTED: dict[str, Spec] = {
    # Created by the signup trigger; users edit only personal columns and never delete.
    "profiles": Spec(
        Expect("OS", "S", "OS", "S"),
        "owner_profile",
        lambda w: {"id": w.spare, "email": "x@example.test"},
        "full_name",
        insert_owner=lambda w: w.spare,
    ),
    "subscription_tiers": Spec(
        Expect("AOXS", "S", "S", "S"),
        "tier",
        lambda w: {"tier": "t2", "display_name": "T2", "hourly_request_limit": 1, "storage_limit_bytes": 1},
        "display_name",
        key="tier",
    ),
    "conversations": Spec(OWNER_CRUD, "conversation", lambda w: {"user_id": w.owner, "title": "t"}, "title"),
    "messages": Spec(
        OWNER_CRUD,
        "message",
        lambda w: {"conversation_id": w["conversation"], "user_id": w.owner, "role": "user", "content": "hi"},
        "content",
    ),
    "ai_model_configs": Spec(
        OWNER_CRUD,
        "model_config",
        lambda w: {"user_id": w.owner, "provider": "openai", "model_name": "gpt-4o"},
        "temperature",
    ),
    "usage_metrics": Spec(OWNER_READS, "usage", lambda w: {"user_id": w.owner, "action": "x"}, "quantity"),
    "automation_workflows": Spec(
        OWNER_CRUD, "automation_workflow", lambda w: {"user_id": w.owner, "name": "n"}, "name"
    ),
    # Users queue jobs; the runner updates them.
    "automation_jobs": Spec(
        Expect("OS", "OS", "S", "S"),
        "automation_job",
        lambda w: {"workflow_id": w["idle_automation_workflow"], "user_id": w.owner},
        "status",
    ),
    # Tickets are closed, not deleted.
    "support_tickets": Spec(
        Expect("OS", "OS", "OS", "S"), "ticket", lambda w: {"user_id": w.owner, "title": "t"}, "title"
    ),
    "ticket_comments": Spec(
        Expect("OS", "OS", "S", "S"),
        "ticket_comment",
        lambda w: {"ticket_id": w["ticket"], "user_id": w.owner, "content": "c"},
        "content",
    ),
    "assets": Spec(OWNER_CRUD, "asset", lambda w: {"user_id": w.owner, "name": "n"}, "name"),
    "monitoring_metrics": Spec(
        OWNER_READS,
        "metric",
        lambda w: {"user_id": w.owner, "asset_id": w["asset"], "metric_name": "m", "metric_value": 1},
        "metric_value",
    ),
    "clients": Spec(OWNER_CRUD, "client", lambda w: {"user_id": w.owner, "name": "n"}, "name"),
    "projects": Spec(OWNER_CRUD, "project", lambda w: {"user_id": w.owner, "name": "n"}, "name"),
    # The owner here is the project's owner, who manages its team.
    "project_team": Spec(OWNER_CRUD, "team_member", lambda w: {"project_id": w["project"], "user_id": w.other}, "role"),
    "invoices": Spec(
        OWNER_CRUD, "invoice", lambda w: {"user_id": w.owner, "invoice_number": "INV-2", "amount": 1}, "amount"
    ),
    "workflows": Spec(OWNER_CRUD, "workflow", lambda w: {"user_id": w.owner, "name": "n"}, "name"),
    "webhooks": Spec(
        OWNER_CRUD, "webhook", lambda w: {"user_id": w.owner, "name": "n", "url": "https://example.test/x"}, "name"
    ),
    "integrations": Spec(OWNER_CRUD, "integration", lambda w: {"user_id": w.owner, "provider": "slack"}, "status"),
    "analytics_events": Spec(
        Expect("OS", "OS", "S", "S"), "event", lambda w: {"user_id": w.owner, "event_type": "click"}, "event_type"
    ),
    "analytics_data": Spec(
        OWNER_READS,
        "analytics",
        lambda w: {"user_id": w.owner, "metric_type": "m", "metric_value": 1, "date_recorded": "2025-07-01"},
        "metric_value",
    ),
    "documents": Spec(
        OWNER_CRUD,
        "document",
        lambda w: {
            "user_id": w.owner,
            "title": "t",
            "file_name": "n.pdf",
            "file_path": f"{w.owner}/n.pdf",
            "file_size": 10,
        },
        "title",
    ),
    "document_embeddings": Spec(
        OWNER_READS,
        "embedding",
        lambda w: {"document_id": w["document2"], "chunk_index": 0, "content": "c", "embedding": vector(0.0, 1.0)},
        "content",
    ),
    "processing_queue": Spec(BACKEND_ONLY, "queue", lambda w: {"document_id": w["document2"]}, "status"),
    "family_vaults": Spec(OWNER_CRUD, "vault", lambda w: {"owner_id": w.owner, "name": "n"}, "name"),
    # The owner here is the vault's owner, who manages its members; members join only by accepting an invitation
    # (private.accept_family_invitation), never by a direct insert.
    "family_members": Spec(
        Expect("OS", "S", "OS", "OS"), "family_member", lambda w: {"vault_id": w["vault"], "user_id": w.other}, "role"
    ),
    # Sharing has nothing to edit: unshare and share again.
    "family_vault_documents": Spec(
        Expect("OS", "OS", "S", "OS"),
        "shared",
        lambda w: {"vault_id": w["vault"], "document_id": w["document2"], "shared_by": w.owner},
        "vault_id",
    ),
    "reminders": Spec(
        OWNER_CRUD,
        "reminder",
        lambda w: {"user_id": w.owner, "title": "t", "remind_at": "2031-01-01T00:00:00Z"},
        "title",
    ),
    # The owner here is the vault's owner. Revoking (status pending -> revoked) is their only edit, so setting the
    # status to itself is refused; tests/functions/family_vault_test.ts revokes.
    "family_invitations": Spec(
        Expect("OS", "OS", "S", "OS"),
        "family_invitation",
        lambda w: {"vault_id": w["vault"], "email": "matrix@example.test", "invited_by": w.owner},
        "status",
    ),
    "push_devices": Spec(
        OWNER_CRUD, "push_device", lambda w: {"user_id": w.owner, "token": "fcm-matrix-token-0123456789"}, "platform"
    ),
    # Written by reminder-engine; the user reads what was sent and what failed.
    "reminder_deliveries": Spec(
        OWNER_READS,
        "reminder_delivery",
        lambda w: {
            "reminder_id": w["reminder"],
            "user_id": w.owner,
            "channel": "email",
            "occurrence_at": "2031-01-01T00:00:00Z",
            "status": "sent",
            "attempts": 1,
        },
        "status",
    ),
    # A verified listing is public; a user lists themselves once (so the insert is by a user without one).
    "professionals": Spec(
        Expect("AOXS", "OS", "OS", "OS"),
        "listing",
        lambda w: {"user_id": w.fresh, "display_name": "d", "profession": "p"},
        "bio",
        insert_owner=lambda w: w.fresh,
    ),
    # The owner here is the client; bookings are cancelled, not deleted.
    "marketplace_bookings": Spec(
        Expect("OS", "OS", "OS", "S"),
        "booking",
        lambda w: {"professional_id": w["pro_listing"], "client_id": w.owner},
        "notes",
    ),
    "professional_reviews": Spec(
        Expect("AOXS", "OS", "OS", "OS"),
        "review",
        lambda w: {
            "professional_id": w["other_listing"],
            "booking_id": w["booking2"],
            "reviewer_id": w.owner,
            "rating": 5,
        },
        "comment",
    ),
    "subscriptions": Spec(
        OWNER_READS,
        "subscription",
        lambda w: {
            "user_id": w.owner,
            "tier": "business",
            "provider": "razorpay",
            "provider_subscription_id": "sub_x",
            "status": "active",
        },
        "status",
    ),
    "payments": Spec(
        OWNER_READS,
        "payment",
        lambda w: {
            "user_id": w.owner,
            "provider": "razorpay",
            "provider_payment_id": "pay_x",
            "amount_cents": 1,
            "currency": "INR",
            "status": "pending",
        },
        "status",
    ),
    "webhook_events": Spec(
        BACKEND_ONLY,
        "webhook_event",
        lambda w: {"provider": "razorpay", "event_id": "e1", "event_type": "payment.captured", "payload": "{}"},
        "status",
    ),
    "performance_metrics": Spec(
        BACKEND_ONLY, "performance", lambda w: {"function_name": "f", "execution_time_ms": 1}, "success"
    ),
    # translation-service's cache: the backend writes it (no planted translations), the owner reads and clears it.
    "translations": Spec(
        Expect("OS", "S", "S", "OS"),
        "translation",
        lambda w: {
            "user_id": w.owner,
            "source_sha256": "b" * 64,
            "target_language": "fr",
            "translated_text": "t",
            "characters": 1,
        },
        "translated_text",
    ),
    "audit_log": Spec(BACKEND_ONLY, "audit", lambda w: {"action": "A", "table_name": "t"}, "action"),
}


def public_tables(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("select tablename from pg_catalog.pg_tables where schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def test_every_public_table_has_an_expected_outcome(db):
    tables = public_tables(db)
    missing = sorted(tables - set(EXPECTED))
    stale = sorted(set(EXPECTED) - tables)
    assert not missing, f"tables in public without an entry in EXPECTED (state who may do what): {missing}"
    assert not stale, f"entries in EXPECTED for tables that do not exist: {stale}"


def _attempt(conn: psycopg.Connection, role: str, user: str | None, statement: str, params: list[object]) -> bool:
    with acting_as(conn, role, user):
        try:
            cursor = conn.execute(statement, params)
        except (
            psycopg.errors.InsufficientPrivilege,
            psycopg.errors.CheckViolation,
            psycopg.errors.RaiseException,
        ) as exc:
            if isinstance(exc, psycopg.errors.CheckViolation) and "row-level security" not in str(exc):
                raise
            return False
        if statement.startswith("select"):
            return cursor.fetchone()[0] == 1
        return cursor.rowcount == 1


def observed_grid(conn: psycopg.Connection, table: str, spec: Spec, world: World) -> dict[str, set[str]]:
    row_id = world["owner_profile"] if spec.row == "owner_profile" else world[spec.row]
    payload = spec.payload(world)
    columns = ", ".join(payload)
    statements = {
        "select": (f"select count(*) from public.{table} where {spec.key} = %s", [row_id]),
        "insert": (
            f"insert into public.{table} ({columns}) values ({', '.join(['%s'] * len(payload))})",
            list(payload.values()),
        ),
        "update": (
            f"update public.{table} set {spec.update_column} = {spec.update_column} where {spec.key} = %s",
            [row_id],
        ),
        "delete": (f"delete from public.{table} where {spec.key} = %s", [row_id]),
    }
    users = {"anon": None, "owner": world.owner, "other": world.other, "service_role": None}
    grid: dict[str, set[str]] = {}
    for operation, (statement, params) in statements.items():
        grid[operation] = set()
        for actor in ACTORS:
            role = {"anon": "anon", "service_role": "service_role"}.get(actor, "authenticated")
            user = spec.insert_owner(world) if (operation == "insert" and actor == "owner") else users[actor]
            if _attempt(conn, role, user, statement, params):
                grid[operation].add(actor)
    return grid


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_rls_matrix(db, table):
    world = build_world(db)
    world.ids["owner_profile"] = world.owner
    spec = EXPECTED[table]
    grid = observed_grid(db, table, spec, world)
    wrong = {
        operation: {"expected": sorted(spec.expect.allowed(operation)), "observed": sorted(grid[operation])}
        for operation in OPERATIONS
        if grid[operation] != spec.expect.allowed(operation)
    }
    assert not wrong, f"public.{table}: who may do what differs from EXPECTED: {wrong}"
