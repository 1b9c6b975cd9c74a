"""Runs the edge functions' Deno test suite (tests/functions/*_test.ts) against a database with every migration.

The database comes from the session's embedded PostgreSQL (tests/conftest.py); its URL reaches Deno as
TEST_DATABASE_URL. Deno gets only the permissions the suite needs: the loopback network (the database, the fake
AI providers and Storage API, the local gateway), reading the functions and tests, and the few variables below.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DENO = PROJECT_ROOT / "node_modules" / ".bin" / "deno"
MIGRATIONS_DIR = PROJECT_ROOT / "sql" / "migrations"
# postgres.js reads its PG* defaults from the environment (src/index.js, parseOptions); denied reads would throw.
POSTGRES_JS_ENV = [
    "PGHOST", "PGPORT", "PGUSER", "PGUSERNAME", "PGPASSWORD", "PGDATABASE", "PGAPPNAME", "PGTARGETSESSIONATTRS",
    "USER", "USERNAME", "LOGNAME",
    *(f"PG{option.upper()}" for option in (
        "max", "ssl", "sslnegotiation", "idle_timeout", "connect_timeout", "max_lifetime", "max_pipeline", "backoff",
        "keep_alive", "prepare", "debug", "fetch_types", "publications", "target_session_attrs",
    )),
]
ALLOWED_ENV = ["TEST_DATABASE_URL", *POSTGRES_JS_ENV]
SUITE_TIMEOUT_SECONDS = 180
# Deno's cache and, for a first run that downloads npm packages, the proxy and CA settings of this machine.
PASSED_THROUGH = [
    "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR", "DENO_CERT", "DENO_TLS_CA_STORE", "SSL_CERT_FILE", "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
]


def deno_test_command() -> list[str]:
    return [
        str(DENO), "test",
        "--allow-net=127.0.0.1,localhost",
        f"--allow-env={','.join(ALLOWED_ENV)}",
        "--allow-read=functions,tests/functions",
        "--no-prompt",
        "tests/functions/",
    ]


def test_deno_suite_passes(migrated_database_url: str):
    if not DENO.exists():
        pytest.fail(f"Deno is missing at {DENO.relative_to(PROJECT_ROOT)}: run `npm ci` (or `make install`)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(Path.home())),
        "NO_COLOR": "1",
        "TEST_DATABASE_URL": migrated_database_url,
    }
    env.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    started = time.perf_counter()
    result = subprocess.run(
        deno_test_command(), cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=SUITE_TIMEOUT_SECONDS,
    )
    seconds = time.perf_counter() - started
    output = f"$ {' '.join(deno_test_command())}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"the Deno suite failed after {seconds:.1f}s:\n{output}"
