"""A small, fully linked set of rows (created as postgres) that the schema tests act upon."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import psycopg

from tests.schema.sessions import new_user

DIMENSIONS = 1536


def vector(*leading: float) -> str:
    """A 1536-dimension vector literal: the given leading components, then zeros."""
    values = [*leading, *([0.0] * (DIMENSIONS - len(leading)))]
    return "[" + ",".join(repr(float(v)) for v in values) + "]"


@dataclass
class World:
    owner: str
    other: str
    pro: str
    fresh: str  # a signed-up user with nothing of their own yet
    spare: str  # an auth user whose profile was removed
    ids: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


def insert(conn: psycopg.Connection, table: str, **values: object) -> str:
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    row = conn.execute(
        f"insert into public.{table} ({columns}) values ({placeholders}) returning id", list(values.values())
    ).fetchone()
    return str(row[0])


def build_world(conn: psycopg.Connection) -> World:
    owner, other, pro, fresh, spare = (new_user(conn) for _ in range(5))
    conn.execute("delete from public.profiles where id = %s", (spare,))
    ids: dict[str, str] = {}
    ids["conversation"] = insert(conn, "conversations", user_id=owner, title="Taxes")
    ids["message"] = insert(
        conn, "messages", conversation_id=ids["conversation"], user_id=owner, role="user", content="hello"
    )
    ids["model_config"] = str(
        conn.execute("select id from public.ai_model_configs where user_id = %s and is_default", (owner,)).fetchone()[0]
    )
    ids["usage"] = insert(conn, "usage_metrics", user_id=owner, action="ai-chat-message")
    ids["automation_workflow"] = insert(conn, "automation_workflows", user_id=owner, name="Scrape")
    ids["automation_job"] = insert(conn, "automation_jobs", workflow_id=ids["automation_workflow"], user_id=owner)
    # A workflow runs one job at a time, so new jobs are queued on a workflow with none queued or running.
    ids["idle_automation_workflow"] = insert(conn, "automation_workflows", user_id=owner, name="Backup")
    ids["ticket"] = insert(conn, "support_tickets", user_id=owner, title="Printer on fire")
    ids["ticket_comment"] = insert(conn, "ticket_comments", ticket_id=ids["ticket"], user_id=owner, content="Still")
    ids["asset"] = insert(conn, "assets", user_id=owner, name="Laptop")
    ids["metric"] = insert(
        conn, "monitoring_metrics", user_id=owner, asset_id=ids["asset"], metric_name="cpu", metric_value=0.5
    )
    ids["client"] = insert(conn, "clients", user_id=owner, name="ACME")
    ids["project"] = insert(conn, "projects", user_id=owner, client_id=ids["client"], name="Website")
    ids["team_member"] = insert(conn, "project_team", project_id=ids["project"], user_id=pro)
    ids["invoice"] = insert(
        conn, "invoices", user_id=owner, client_id=ids["client"], invoice_number="INV-1", amount=100
    )
    ids["workflow"] = insert(conn, "workflows", user_id=owner, project_id=ids["project"], name="Approve")
    ids["webhook"] = insert(conn, "webhooks", user_id=owner, name="CI", url="https://example.test/hook")
    ids["integration"] = insert(conn, "integrations", user_id=owner, provider="github")
    ids["event"] = insert(conn, "analytics_events", user_id=owner, event_type="page_view")
    ids["document"] = insert(
        conn,
        "documents",
        user_id=owner,
        title="Passport",
        file_name="passport.pdf",
        file_path=f"{owner}/passport.pdf",
        file_size=1000,
    )
    ids["document2"] = insert(
        conn,
        "documents",
        user_id=owner,
        title="Will",
        file_name="will.pdf",
        file_path=f"{owner}/will.pdf",
        file_size=2000,
    )
    ids["embedding"] = insert(
        conn,
        "document_embeddings",
        document_id=ids["document"],
        chunk_index=0,
        content="passport",
        embedding=vector(1.0),
    )
    ids["queue"] = insert(conn, "processing_queue", document_id=ids["document"])
    ids["vault"] = insert(conn, "family_vaults", owner_id=owner, name="Family")
    ids["family_member"] = insert(conn, "family_members", vault_id=ids["vault"], user_id=pro)
    ids["shared"] = insert(
        conn, "family_vault_documents", vault_id=ids["vault"], document_id=ids["document"], shared_by=owner
    )
    ids["reminder"] = insert(
        conn, "reminders", user_id=owner, document_id=ids["document"], title="Renew", remind_at="2030-01-01T00:00:00Z"
    )
    ids["family_invitation"] = insert(
        conn,
        "family_invitations",
        vault_id=ids["vault"],
        invited_by=owner,
        email=f"invitee-{uuid.uuid4().hex[:8]}@example.test",
    )
    ids["push_device"] = insert(conn, "push_devices", user_id=owner, token=f"fcm-{uuid.uuid4().hex}")
    ids["reminder_delivery"] = insert(
        conn,
        "reminder_deliveries",
        reminder_id=ids["reminder"],
        user_id=owner,
        channel="push",
        occurrence_at="2029-01-01T00:00:00Z",
        status="sent",
        attempts=1,
    )
    ids["listing"] = insert(
        conn, "professionals", user_id=owner, display_name="Owner Esq.", profession="lawyer", is_verified=True
    )
    ids["pro_listing"] = insert(
        conn, "professionals", user_id=pro, display_name="Pro CA", profession="chartered_accountant", is_verified=True
    )
    ids["booking"] = insert(
        conn, "marketplace_bookings", professional_id=ids["pro_listing"], client_id=owner, status="completed"
    )
    # A completed booking with another professional: the owner's one review of that listing is still unwritten.
    ids["other_listing"] = insert(
        conn, "professionals", user_id=other, display_name="Other CPA", profession="accountant", is_verified=True
    )
    ids["booking2"] = insert(
        conn, "marketplace_bookings", professional_id=ids["other_listing"], client_id=owner, status="completed"
    )
    ids["review"] = insert(
        conn,
        "professional_reviews",
        professional_id=ids["pro_listing"],
        booking_id=ids["booking"],
        reviewer_id=owner,
        rating=4,
    )
    ids["subscription"] = insert(
        conn,
        "subscriptions",
        user_id=owner,
        tier="premium",
        provider="stripe",
        provider_subscription_id=f"sub_{uuid.uuid4().hex}",
        status="active",
    )
    ids["payment"] = insert(
        conn,
        "payments",
        user_id=owner,
        subscription_id=ids["subscription"],
        provider="stripe",
        provider_payment_id=f"pi_{uuid.uuid4().hex}",
        amount_cents=999,
        currency="USD",
        status="succeeded",
    )
    ids["webhook_event"] = insert(
        conn,
        "webhook_events",
        provider="stripe",
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type="invoice.paid",
        payload="{}",
    )
    ids["performance"] = insert(conn, "performance_metrics", function_name="ai-chat", execution_time_ms=12)
    ids["audit"] = insert(conn, "audit_log", action="TEST", table_name="documents")
    ids["translation"] = insert(
        conn,
        "translations",
        user_id=owner,
        document_id=ids["document"],
        source_sha256="a" * 64,
        target_language="de",
        translated_text="Reisepass",
        characters=8,
    )
    ids["analytics"] = insert(
        conn,
        "analytics_data",
        user_id=owner,
        metric_type="documents_uploaded",
        metric_value=3,
        date_recorded="2025-06-01",
    )
    conn.execute(
        "insert into public.subscription_tiers (tier, display_name, hourly_request_limit, storage_limit_bytes) "
        "values ('matrix', 'Matrix', 1, 1)"
    )
    ids["tier"] = "matrix"
    return World(owner=owner, other=other, pro=pro, fresh=fresh, spare=spare, ids=ids)
