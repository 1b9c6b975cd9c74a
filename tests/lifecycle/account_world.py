"""One person with data in every table that can hold a person's data and in every bucket, and a bystander
with data of their own, for the erasure tests (built on tests/schema/world.py's linked rows)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import psycopg

from tests.lifecycle.conftest import BUCKETS
from tests.lifecycle.objects import add_document, put_object
from tests.schema.world import World, build_world, insert


@dataclass
class AccountWorld:
    world: World
    person: str
    email: str
    bystander: str
    heir: str  # the admin who inherits the person's second vault
    handed_vault: str
    stripe_subscription: str
    razorpay_subscription: str


def build_account_world(conn: psycopg.Connection, objects_per_bucket: int = 2) -> AccountWorld:
    world = build_world(conn)
    person, bystander, heir = world.owner, world.other, world.pro
    email = conn.execute("select email from auth.users where id = %s", (person,)).fetchone()[0]
    for bucket in BUCKETS:
        for i in range(objects_per_bucket):
            put_object(conn, bucket, f"{person}/{bucket}/{i}.bin", size=100)
            put_object(conn, bucket, f"{bystander}/{bucket}/{i}.bin", size=100)
    for path in (f"{person}/passport.pdf", f"{person}/will.pdf"):
        put_object(conn, "documents", path, size=1000)
        put_object(conn, "thumbnails", f"{path}/256.webp", size=10)
    add_document(conn, bystander, "own/contract.pdf")
    insert(conn, "conversations", user_id=bystander, title="Bystander's own")
    # A second vault with an admin: handed over, not dissolved.
    handed = insert(conn, "family_vaults", owner_id=person, name="Handed over")
    insert(conn, "family_members", vault_id=handed, user_id=heir, role="admin")
    # The person on someone else's project team, and named in a provider's webhook payload.
    bystanders_project = insert(conn, "projects", user_id=bystander, name="Bystander's project")
    insert(conn, "project_team", project_id=bystanders_project, user_id=person)
    insert(
        conn,
        "webhook_events",
        provider="stripe",
        event_id=f"evt_{uuid.uuid4().hex}",
        event_type="checkout.session.completed",
        payload=json.dumps({"data": {"object": {"metadata": {"user_id": person}, "customer_email": email}}}),
    )
    # An invitation to the person's e-mail into the bystander's vault.
    bystanders_vault = insert(conn, "family_vaults", owner_id=bystander, name="Bystander's vault")
    insert(conn, "family_invitations", vault_id=bystanders_vault, invited_by=bystander, email=email)
    conn.execute(
        "insert into private.data_exports (user_id, status, object_name, requested_at, expires_at) "
        "values (%s, 'ready', %s, now() - interval '2 days', now() + interval '5 days')",
        (person, f"{person}/exports/0.bin"),
    )
    conn.execute(
        "insert into private.tier_downgrades (user_id, from_tier, to_tier, lapsed_at) "
        "values (%s, 'premium', 'free', now() - interval '40 days')",
        (person,),
    )
    # Failed password sign-ins Auth's lockout hook counted (it goes with the auth.users row).
    for account in (person, bystander):
        conn.execute(
            "insert into private.password_failures (user_id, failures, last_failed_at) values (%s, 2, now())",
            (account,),
        )
    # Spend reserved today: the append-only ledger keeps it 40 days, except through an erasure.
    conn.execute(
        "insert into private.spend_ledger (user_id, unit, day, quantity, source) "
        "values (%s, 'translation_characters', current_date, 10, 'translation-service')",
        (person,),
    )
    conn.execute(
        "insert into private.spend_ledger (user_id, unit, day, quantity, source) "
        "values (%s, 'translation_characters', current_date, 10, 'translation-service')",
        (bystander,),
    )
    stripe_sub = conn.execute(
        "select provider_subscription_id from public.subscriptions where id = %s", (world["subscription"],)
    ).fetchone()[0]
    razorpay_sub = f"sub_{uuid.uuid4().hex[:14]}"
    insert(
        conn,
        "subscriptions",
        user_id=person,
        tier="premium",
        provider="razorpay",
        provider_subscription_id=razorpay_sub,
        status="active",
    )
    insert(
        conn,
        "subscriptions",
        user_id=person,
        tier="premium",
        provider="razorpay",
        provider_subscription_id=f"order_{uuid.uuid4().hex[:14]}",
        status="active",
    )
    return AccountWorld(world, person, email, bystander, heir, handed, stripe_sub, razorpay_sub)


def tables_that_hold_people(conn: psycopg.Connection) -> set[str]:
    """From the catalog: every table with a foreign key to profiles or auth.users, or a uuid column named like a
    person (user_id, owner_id, ..._by), and storage.objects (a person's folder). Partitioned tables count once."""
    rows = conn.execute("""
        select distinct n.nspname || '.' || c.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname in ('public', 'private', 'storage', 'auth')
          and c.oid <> 'private.account_deletions'::regclass  -- the erasure's own to-do, filled by it
          and (exists (select 1 from pg_constraint k
                       where k.conrelid = c.oid and k.contype = 'f'
                         and k.confrelid in ('public.profiles'::regclass, 'auth.users'::regclass))
               or exists (select 1 from pg_attribute a
                          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                            and a.atttypid = 'uuid'::regtype
                            and (a.attname in ('user_id', 'owner_id', 'reviewer_id', 'client_id')
                                 or a.attname like '%\\_by')))
    """).fetchall()
    return {row[0] for row in rows} | {"storage.objects", "auth.users", "public.profiles"}
