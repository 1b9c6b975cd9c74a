"""Fixtures for the Stripe provider: a stateful stand-in of Stripe's API, checked against stripe-mock (Stripe's
official mock server, validating against Stripe's OpenAPI spec) when it is installed, and one provider host."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import nullcontext

import pytest

from tests.harness.provider_host import ProviderHost
from tests.harness.stripe_mock import MISSING, running_stripe_mock, stripe_mock_binary
from tests.stripe.fake_stripe import FakeStripe

# stripe-mock accepts keys shaped like test-mode keys: sk_test_ and letters and digits.
TEST_KEY = "sk_test_" + secrets.token_hex(16)
ENVIRONMENT = {"STRIPE_SECRET_KEY": TEST_KEY}


@pytest.fixture(scope="module")
def stripe_mock_url() -> Iterator[str | None]:
    """stripe-mock's URL, or None when it is not installed (the stand-in then checks no request shapes)."""
    binary = stripe_mock_binary()
    with running_stripe_mock(binary) if binary else nullcontext() as url:
        yield url


@pytest.fixture
def require_stripe_mock(stripe_mock_url: str | None) -> str:
    if stripe_mock_url is None:
        pytest.skip(MISSING)
    return stripe_mock_url


@pytest.fixture
def fake_stripe(stripe_mock_url: str | None) -> Iterator[FakeStripe]:
    fake = FakeStripe(TEST_KEY, validate_with=stripe_mock_url).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.violations, "requests Stripe's OpenAPI spec refuses:\n" + "\n".join(fake.violations)


@pytest.fixture(scope="module")
def host() -> Iterator[ProviderHost]:
    with ProviderHost(env=ENVIRONMENT) as running:
        yield running
