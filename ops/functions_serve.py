"""The edge functions on this machine: `ops functions serve` and the signed-in users' tokens to call them with.

The functions run under Deno (ops/serve/main.ts) behind a gateway that does what Supabase's does for them
(verify_jwt per function.json, /functions/v1/<name>, CORS preflights reach the function), against the local
stack's database (`database.localUrl` in Pulumi.local.yaml). JWTs are HS256 with JWT_SECRET, by default the
Supabase CLI's well-known local secret: a development value, never a deployed project's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid
from collections.abc import Mapping
from pathlib import Path

import psycopg
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DENO = PROJECT_ROOT / "node_modules" / ".bin" / "deno"
SERVE_SCRIPT = "ops/serve/main.ts"
READY_MARKER = "FUNCTIONS_SERVE_READY"
LOCAL_STACK_FILE = PROJECT_ROOT / "Pulumi.local.yaml"
# `supabase start`'s default JWT secret: local tokens minted here verify the same way as under its CLI.
LOCAL_JWT_SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
DEFAULT_PORT = 54321


class FunctionsServeError(RuntimeError):
    """A setting or tool the local functions need is missing; the message names it and the fix."""


def local_database_url(stack_file: Path = LOCAL_STACK_FILE) -> str:
    """database.localUrl of the local stack, the database `ops local-db start` runs."""
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    url = (config.get("ai-platform:database") or {}).get("localUrl")
    if not url:
        raise FunctionsServeError(f"{stack_file.name}: ai-platform:database.localUrl is not set")
    return str(url)


def jwt_secret(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("JWT_SECRET") or LOCAL_JWT_SECRET


def serve_command(port: int) -> list[str]:
    """Deno with what the functions need: any network (the database, and real providers when keys are set),
    their environment, and reading only the functions and the gateway."""
    if not DENO.exists():
        raise FunctionsServeError(f"Deno is missing at {DENO.relative_to(PROJECT_ROOT)}: run `make install`")
    return [
        str(DENO),
        "run",
        "--no-prompt",
        "--allow-net",
        "--allow-env",
        "--allow-read=functions,ops/serve",
        "--allow-sys=hostname,osRelease",
        SERVE_SCRIPT,
    ]


def serve_env(database_url: str, port: int, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The shell's environment (provider keys set there are used for real), plus the database, the JWT secret
    and the port."""
    env = dict(environ)
    env.update({"SUPABASE_DB_URL": database_url, "JWT_SECRET": jwt_secret(environ), "PORT": str(port)})
    env.setdefault("NO_COLOR", "1")
    return env


def start_serving(
    database_url: str, port: int, log: Path, environ: Mapping[str, str] = os.environ, timeout_seconds: float = 120
) -> tuple[subprocess.Popen[bytes], dict[str, object]]:
    """Starts the functions in the background (output to `log`); returns the process and its ready line's JSON."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            serve_command(port),
            cwd=PROJECT_ROOT,
            env=serve_env(database_url, port, environ),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(READY_MARKER):
                return process, json.loads(line[len(READY_MARKER) :])
        if process.poll() is not None:
            raise FunctionsServeError(f"the functions exited ({process.returncode}):\n{_tail(log)}")
        time.sleep(0.2)
    stop_serving(process)
    raise FunctionsServeError(f"the functions did not start in {timeout_seconds:.0f}s:\n{_tail(log)}")


def stop_serving(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


def ensure_user(database_url: str, email: str) -> str:
    """The id of the auth.users row with this (confirmed) e-mail, created when missing (the signup trigger makes
    its profile), as Supabase Auth's sign-up would."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("select id from auth.users where email = %s", (email,)).fetchone()
        if row:
            return str(row[0])
        user_id = str(uuid.uuid4())
        conn.execute(
            "insert into auth.users (id, email, email_confirmed_at, raw_user_meta_data) values (%s, %s, now(), %s)",
            (user_id, email, json.dumps({"full_name": email.split("@")[0]})),
        )
        return user_id


def mint_token(user_id: str, email: str, secret: str, lifetime_seconds: int = 3600) -> str:
    """An access token as Supabase Auth issues it for a signed-in user: HS256, role authenticated, sub the id."""
    now = int(time.time())
    claims = {
        "sub": user_id,
        "email": email,
        "role": "authenticated",
        "aud": "authenticated",
        "iss": "supabase",
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
