"""Fixtures for the Supabase providers: the fake API server and one real provider host per module."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.harness.provider_host import ProviderHost
from tests.supabase.fake_api import FakeSupabase

# One token for the whole session, so a provider host can be shared by every fake server of a module.
TEST_TOKEN = "sbp_" + secrets.token_hex(20)
# Fast polling and short timeouts: the fake answers at once unless a fault says otherwise.
FAST_ENVIRONMENT = {
    "SUPABASE_ACCESS_TOKEN": TEST_TOKEN,
    "SUPABASE_POLL_INTERVAL_SECONDS": "0.02",
    "SUPABASE_API_BACKOFF_SECONDS": "0.05",
    "SUPABASE_API_TIMEOUT_SECONDS": "1",
    "SUPABASE_API_ATTEMPTS": "4",
}


@pytest.fixture
def fake_supabase() -> Iterator[FakeSupabase]:
    fake = FakeSupabase(token=TEST_TOKEN).start()
    fake.slow_seconds = 2.0  # past the 1 s client timeout above
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost(env=FAST_ENVIRONMENT) as running:
        yield running


@pytest.fixture
def client_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same settings for clients built in the test process itself."""
    for name, value in FAST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
