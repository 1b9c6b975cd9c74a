"""Running Deno for the functions' tests and benchmarks: the binary from npm, the variables it may see, and the
scripts that serve on loopback and announce themselves with one ready line of JSON."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DENO = PROJECT_ROOT / "node_modules" / ".bin" / "deno"
MISSING_DENO = f"Deno is missing at {DENO.relative_to(PROJECT_ROOT)}: run `make install`"
# postgres.js reads its PG* defaults from the environment (src/index.js, parseOptions); denied reads would throw.
POSTGRES_JS_ENV = [
    "PGHOST", "PGPORT", "PGUSER", "PGUSERNAME", "PGPASSWORD", "PGDATABASE", "PGAPPNAME", "PGTARGETSESSIONATTRS",
    "USER", "USERNAME", "LOGNAME",
    *(f"PG{option.upper()}" for option in (
        "max", "ssl", "sslnegotiation", "idle_timeout", "connect_timeout", "max_lifetime", "max_pipeline", "backoff",
        "keep_alive", "prepare", "debug", "fetch_types", "publications", "target_session_attrs",
    )),
]  # fmt: skip
ALLOWED_ENV = ["TEST_DATABASE_URL", "STRIPE_MOCK_URL", *POSTGRES_JS_ENV]
# Deno's cache and, for a first run that downloads npm packages, the proxy and CA settings of this machine.
PASSED_THROUGH = [
    "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "DENO_CERT", "DENO_TLS_CA_STORE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
]  # fmt: skip


class DenoScriptError(RuntimeError):
    """A script that exited or never said it was ready; the message holds the end of its log."""


def deno_env(database_url: str, stripe_mock_url: str | None = None) -> dict[str, str]:
    """The whole environment of a Deno run: the migrated database's URL (and stripe-mock's, when it runs) and
    what Deno itself needs."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(Path.home())),
        "NO_COLOR": "1",
        "TEST_DATABASE_URL": database_url,
    }
    if stripe_mock_url:
        env["STRIPE_MOCK_URL"] = stripe_mock_url
    env.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    return env


def start_script(
    script: str, readable: str, database_url: str, log: Path, ready_marker: str, timeout_seconds: float = 60
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Starts `script` (loopback network, reading only `readable`), and returns it with the JSON of its
    `<ready_marker> {...}` line. It runs until stop_script closes its stdin."""
    command = [
        str(DENO),
        "run",
        "--allow-net=127.0.0.1,localhost",
        f"--allow-env={','.join(ALLOWED_ENV)}",
        f"--allow-read={readable}",
        "--no-prompt",
        script,
    ]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=deno_env(database_url),
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(ready_marker):
                return process, json.loads(line[len(ready_marker) :])
        if process.poll() is not None:
            raise DenoScriptError(f"{script} exited ({process.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise DenoScriptError(f"{script} did not start in {timeout_seconds}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop_script(process: subprocess.Popen[bytes]) -> None:
    """Closing stdin is the scripts' signal to shut their servers down; a script that hangs is killed."""
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
