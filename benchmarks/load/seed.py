"""The rows a load run needs in the database the functions serve from: signed-in users (business tier, so the
hourly request budget is not what the run measures), a conversation each, the documents bucket (as the local
stack deploys it) and a directory of verified professionals for the marketplace to list."""

from __future__ import annotations

import json
import uuid

import psycopg

from ops.functions_serve import mint_token

PROFESSIONS = ("lawyer", "accountant", "doctor", "financial_advisor")
DOCUMENT_MIME_TYPES = ["application/pdf", "image/jpeg", "image/png", "image/webp"]


def seed(database_url: str, users: int, jwt_secret: str, listings: int = 200) -> list[dict[str, str]]:
    """`users` users with a token (valid for six hours, longer than any run), their id and a conversation each."""
    seeded: list[dict[str, str]] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types) "
            "values ('documents', 'documents', false, 52428800, %s) on conflict (id) do nothing",
            (DOCUMENT_MIME_TYPES,),
        )
        for index in range(users):
            user_id = str(uuid.uuid4())
            email = f"load-{index}-{user_id[:8]}@example.test"
            _create_user(conn, user_id, email, tier="business")
            conversation = conn.execute(
                "insert into public.conversations (user_id, title) values (%s, 'Load') returning id", (user_id,)
            ).fetchone()
            assert conversation is not None
            seeded.append(
                {
                    "token": mint_token(user_id, email, jwt_secret, 6 * 3600),
                    "conversation_id": str(conversation[0]),
                    "user_id": user_id,  # for the bare handlers (baseline.ts), which check no token
                }
            )
        for index in range(listings):
            user_id = str(uuid.uuid4())
            _create_user(conn, user_id, f"pro-{index}-{user_id[:8]}@example.test", tier="free")
            conn.execute(
                "insert into public.professionals (user_id, display_name, profession, bio, hourly_rate_cents, "
                "is_verified, languages) values (%s, %s, %s, 'Twenty years of practice.', 12000, true, '{en}')",
                (user_id, f"Professional {index}", PROFESSIONS[index % len(PROFESSIONS)]),
            )
    return seeded


def _create_user(conn: psycopg.Connection, user_id: str, email: str, tier: str) -> None:
    conn.execute(
        "insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data) values (%s, %s, now(), %s)",
        (user_id, email, json.dumps({"full_name": "Load User"})),
    )
    conn.execute("update public.profiles set subscription_tier = %s where id = %s", (tier, user_id))
