"""Runs the edge functions' Deno test suite (tests/functions/*_test.ts) against a database with every migration.

The database comes from the session's embedded PostgreSQL (tests/conftest.py); its URL reaches Deno as
TEST_DATABASE_URL. Deno gets only the permissions the suite needs: the loopback network (the database, the fake
AI providers and Storage API, the local gateway), reading the functions and tests, and the few variables below.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from tests.functions.deno import ALLOWED_ENV, DENO, MISSING_DENO, PROJECT_ROOT, deno_env
from tests.harness.stripe_mock import running_stripe_mock, stripe_mock_binary

# One run of every function's Deno tests (ten functions and the shared module): minutes on a loaded 2-core machine.
SUITE_TIMEOUT_SECONDS = 900


def deno_test_command() -> list[str]:
    return [
        str(DENO),
        "test",
        "--allow-net=127.0.0.1,localhost",
        f"--allow-env={','.join(ALLOWED_ENV)}",
        "--allow-read=functions,tests/functions,ops/serve",
        "--no-prompt",
        "tests/functions/",
    ]


@pytest.fixture(scope="module")
def stripe_mock_url() -> Iterator[str | None]:
    """stripe-mock's URL for the Stripe checkout test (which is skipped without it), or None."""
    binary = stripe_mock_binary()
    with running_stripe_mock(binary) if binary else nullcontext() as url:
        yield url


@pytest.mark.timeout(SUITE_TIMEOUT_SECONDS + 60)
def test_deno_suite_passes(migrated_database_url: str, stripe_mock_url: str | None):
    if not DENO.exists():
        pytest.fail(MISSING_DENO)
    env = deno_env(migrated_database_url, stripe_mock_url)
    started = time.perf_counter()
    result = subprocess.run(
        deno_test_command(),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUITE_TIMEOUT_SECONDS,
    )
    seconds = time.perf_counter() - started
    output = f"$ {' '.join(deno_test_command())}\n{result.stdout}\n{result.stderr}"
    assert result.returncode == 0, f"the Deno suite failed after {seconds:.1f}s:\n{output}"
