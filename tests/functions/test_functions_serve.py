"""`ops functions serve`, as a user runs it: the real Deno process on a migrated database, through its gateway.

The gateway's finer rules (verify_jwt read from each function.json) have Deno tests (gateway_test.ts); here the
command as a whole: no JWT is refused only where verify_jwt, a preflight is answered, an unknown function is 404,
and a token from `ops functions token` signs a user in, whose chat message the AI stand-in answers.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import psycopg
import pytest
import requests

from ops.cli import main
from ops.functions_serve import (
    DENO,
    PROJECT_ROOT,
    READY_MARKER,
    FunctionsServeError,
    start_serving,
    stop_serving,
)
from ops.localdb import free_tcp_port

FAST_STAND_INS = {"AI_STAND_IN_LATENCY_MS": "5-20", "EMBEDDING_STAND_IN_LATENCY_MS": "1"}


@pytest.fixture(scope="module")
def served(migrated_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not DENO.exists():
        pytest.skip("Deno is missing: run `make install`")
    log = tmp_path_factory.mktemp("serve") / "functions.log"
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), **FAST_STAND_INS}
    process, ready = start_serving(migrated_database_url, free_tcp_port(), log, environ)
    try:
        assert ready["stand_ins"] == ["openai", "anthropic", "gemini", "supabase"]
        yield f"{ready['url']}/functions/v1"
    finally:
        stop_serving(process)


def test_verify_jwt_functions_refuse_a_request_without_a_token(served: str):
    refused = requests.post(f"{served}/search-engine", json={"query": "x"}, timeout=30)
    assert refused.status_code == 401
    assert refused.json() == {"code": 401, "message": "Missing authorization header"}
    forged = requests.post(
        f"{served}/search-engine",
        json={"query": "x"},
        timeout=30,
        headers={"authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.bad"},
    )
    assert forged.status_code == 401
    assert forged.json() == {"code": 401, "message": "Invalid JWT"}


def test_a_function_without_verify_jwt_runs_without_a_token(served: str):
    health = requests.get(f"{served}/health-check", timeout=60)
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "healthy"


def test_preflight_is_answered_and_unknown_function_is_404(served: str):
    preflight = requests.options(
        f"{served}/ai-chat-message",
        timeout=30,
        headers={"origin": "https://app.example.com", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["access-control-allow-headers"]
    assert requests.get(f"{served}/no-such-function", timeout=30).status_code == 404


def test_token_command_signs_a_user_in_whose_chat_the_stand_in_answers(served: str, migrated_database_url: str):
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["functions", "token", "load@example.test", "--database-url", migrated_database_url])
    assert code == 0
    token = out.getvalue().strip()
    with psycopg.connect(migrated_database_url, autocommit=True) as conn:
        conversation = conn.execute(
            "insert into public.conversations (user_id, title) "
            "select id, 'served' from auth.users where email = 'load@example.test' returning id"
        ).fetchone()[0]
    answer = requests.post(
        f"{served}/ai-chat-message",
        timeout=60,
        headers={"authorization": f"Bearer {token}"},
        json={"conversation_id": str(conversation), "content": "Hello", "model_provider": "openai"},
    )
    assert answer.status_code == 200, answer.text
    assert "local stand-in" in answer.text


def test_token_command_names_the_database_when_it_is_down(capsys: pytest.CaptureFixture[str]):
    url = f"postgresql://postgres@127.0.0.1:{free_tcp_port()}/postgres"
    assert main(["functions", "token", "x@example.test", "--database-url", url]) == 1
    assert "ops local-db start" in capsys.readouterr().err


def test_a_bad_stand_in_latency_stops_the_command_naming_the_variable(migrated_database_url: str, tmp_path: Path):
    if not DENO.exists():
        pytest.skip("Deno is missing: run `make install`")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "AI_STAND_IN_LATENCY_MS": "slow"}
    with pytest.raises(FunctionsServeError, match="AI_STAND_IN_LATENCY_MS must be milliseconds"):
        start_serving(migrated_database_url, free_tcp_port(), tmp_path / "log", environ)


def test_the_command_hides_the_database_password_and_stops_on_sigterm(tmp_path: Path):
    """What a user runs: the banner never shows a password, and SIGTERM stops the server itself (no orphan)."""
    if not DENO.exists():
        pytest.skip("Deno is missing: run `make install`")
    port = free_tcp_port()
    log = tmp_path / "serve.log"
    command = [
        sys.executable,
        "-m",
        "ops",
        "functions",
        "serve",
        "--port",
        str(port),
        "--database-url",
        "postgresql://app:hunter2-secret@127.0.0.1:1/app",
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
        )
    try:
        deadline = time.monotonic() + 120
        while READY_MARKER not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        output = log.read_text()
        assert READY_MARKER in output, output
        assert "hunter2-secret" not in output
        assert "postgresql://app:***@127.0.0.1:1/app" in output
        assert requests.get(f"http://127.0.0.1:{port}/functions/v1/nothing", timeout=30).status_code == 404
    finally:
        process.terminate()
        process.wait(timeout=20)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/functions/v1/nothing", timeout=5)
