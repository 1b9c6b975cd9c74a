"""Each function run from exactly the files the deploy uploads, nothing else: copied into an empty folder (no
deno.json, no lock, no tests), started with `deno run index.ts` as Supabase's runtime starts it, and answering
real requests against a migrated database. Catches what the in-repo suite cannot: a bundle that leans on the
repository's config or on a file the upload leaves out."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ops.localdb import LocalDatabase
from providers.supabase.function_bundle import collect_files
from tests.conftest import dbname_of
from tests.functions.deno import DENO, PASSED_THROUGH

JWT_SECRET = "bundle-test-jwt-secret-at-least-32-characters"
LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:\d+)/")


@pytest.fixture(scope="module")
def user_id(pg_cluster: LocalDatabase, migrated_database_url: str) -> str:
    """A signed-up user (the signup trigger gives them a profile and model configurations)."""
    new_id = str(uuid.uuid4())
    with psycopg.connect(pg_cluster.superuser_url_for(dbname_of(migrated_database_url)), autocommit=True) as db:
        db.execute("insert into auth.users (id, email) values (%s, %s)", [new_id, f"{new_id}@bundle.test"])
    return new_id


def user_token(user: str) -> str:
    """A Supabase-style access token, HS256 with the project's JWT secret."""

    def encode(part: dict[str, Any]) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")

    now = int(time.time())
    claims = {
        "sub": user,
        "role": "authenticated",
        "aud": "authenticated",
        "iat": now,
        "exp": now + 600,
        "email": f"{user}@bundle.test",
    }
    signing_input = encode({"alg": "HS256", "typ": "JWT"}) + b"." + encode(claims)
    signature = base64.urlsafe_b64encode(hmac.new(JWT_SECRET.encode(), signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature.rstrip(b"=")).decode()


class Served:
    def __init__(self, name: str, workdir: Path, env: dict[str, str]) -> None:
        for relative, content in collect_files("functions", name):
            target = workdir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        env = {
            **{k: v for k, v in os.environ.items() if k in PASSED_THROUGH or k in ("PATH", "HOME")},
            **env,
            "DENO_SERVE_ADDRESS": "tcp:127.0.0.1:0",
            "DENO_NO_UPDATE_CHECK": "1",
        }
        self.process = subprocess.Popen(
            [
                str(DENO),
                "run",
                "--no-prompt",
                "--allow-net",
                "--allow-env",
                f"--allow-read={workdir}",
                f"{name}/index.ts",
            ],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.url = self._wait_for_listening()

    def _wait_for_listening(self) -> str:
        assert self.process.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if match := LISTENING.search(line):
                return match.group(1)
        self.process.kill()
        raise AssertionError("the function did not start from its bundle alone:\n" + "".join(seen))

    def request(
        self, method: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def serve(tmp_path: Path, migrated_database_url: str) -> Iterator[Any]:
    started: list[Served] = []

    def start(name: str, **env: str) -> Served:
        base = {
            "SUPABASE_DB_URL": migrated_database_url,
            "JWT_SECRET": JWT_SECRET,
            "SUPABASE_URL": "http://127.0.0.1:9",
            "SUPABASE_SERVICE_ROLE_KEY": "service-role-key-not-used-here",
        }
        served = Served(name, tmp_path / name, {**base, **env})
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop()


def test_health_check_reaches_the_database_from_its_bundle(serve):
    status, body = serve("health-check").request("GET")
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["storage"]["status"] == "failed"  # nothing listens on SUPABASE_URL here
    assert (status, body["status"]) == (503, "degraded")


def test_create_support_ticket_creates_a_ticket_from_its_bundle(serve, user_id):
    status, body = serve("create-support-ticket").request(
        "POST", {"title": "Printer on fire", "priority": "critical", "category": "incident"}, user_token(user_id)
    )
    assert status == 201, body
    assert re.fullmatch(r"TKT-\d{6}", body["ticket"]["ticket_number"])
    assert body["notification"]["email"] == "not_configured"


def test_ai_chat_message_reads_the_conversation_and_reports_no_provider_from_its_bundle(
    serve, pg_cluster, user_id, migrated_database_url
):
    with psycopg.connect(pg_cluster.superuser_url_for(dbname_of(migrated_database_url)), autocommit=True) as db:
        [(conversation,)] = db.execute(
            "insert into public.conversations (user_id, title) values (%s, 'Bundle') returning id", [user_id]
        ).fetchall()
    status, body = serve("ai-chat-message").request(
        "POST", {"conversation_id": str(conversation), "content": "Hello"}, user_token(user_id)
    )
    assert (status, body["error"]["code"]) == (503, "ai_providers_unavailable")


def test_execute_automation_refuses_the_anon_caller_from_its_bundle(serve):
    status, body = serve(
        "execute-automation",
        AUTOMATION_SERVICE_URL="https://automation.invalid/run",
        WEBHOOK_SECRET="bundle-webhook-secret",
    ).request("POST", {"workflow_id": str(uuid.uuid4())})
    assert (status, body["error"]["code"]) == (401, "missing_authorization")


def service_token() -> str:
    """The legacy service-role key's shape: a JWT with role service_role and no user."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    now = int(time.time())
    claims = base64.urlsafe_b64encode(json.dumps({"role": "service_role", "iat": now, "exp": now + 600}).encode())
    signing_input = header + b"." + claims.rstrip(b"=")
    signature = base64.urlsafe_b64encode(hmac.new(JWT_SECRET.encode(), signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature.rstrip(b"=")).decode()


def test_family_vault_creates_a_vault_from_its_bundle(serve, user_id):
    status, body = serve("family-vault").request(
        "POST", {"action": "create_vault", "name": "Bundle"}, user_token(user_id)
    )
    assert status == 201, body
    assert body["vault"]["role"] == "owner"


def test_reminder_engine_runs_for_the_service_role_from_its_bundle(serve, user_id):
    served = serve("reminder-engine")
    status, body = served.request("POST", {}, service_token())
    assert status == 200, body
    assert body["failed"] == [] and body["claimed"] >= 0
    assert served.request("POST", {}, user_token(user_id))[0] == 403


def test_analytics_engine_rolls_up_from_its_bundle(serve):
    status, body = serve("analytics-engine").request("POST", {"action": "rollup", "days": 1}, service_token())
    assert status == 200, body
    assert len(body["days"]) == 1
