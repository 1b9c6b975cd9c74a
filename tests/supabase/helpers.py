"""Shared steps of the provider tests: driving a resource through the real provider host, and scanning
everything the engine would see or print for secret values."""

from __future__ import annotations

import json
from typing import Any

from tests.harness.provider_host import ProviderError, ProviderHost, ProviderResult
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase


def project_props(fake: FakeSupabase, name: str = "ai-super-assistant-staging", **overrides: Any) -> dict[str, Any]:
    props = {
        "managementApiUrl": fake.url,
        "organizationSlug": fake.organization,
        "name": name,
        "region": "eu-central-1",
        "instanceSize": None,
        "projectRef": None,
        "databasePassword": None,
        "readyTimeoutSeconds": 20,
        "projectUrlTemplate": fake.project_url_template,
    }
    props.update(overrides)
    return props


def ready_project(fake: FakeSupabase, name: str = "ai-super-assistant-staging") -> str:
    """A healthy project in the fake, for resources that live inside one."""
    return fake.add_project(name).ref


def checked(host: ProviderHost, provider: Any, props: dict[str, Any], olds: dict[str, Any] | None = None) -> dict:
    result = host.check(provider, olds or {}, props)
    assert not result.failures, f"check refused valid props: {result.failures}"
    assert result.inputs is not None
    return result.inputs


def engine_visible_text(*results: ProviderResult | None, host: ProviderHost | None = None) -> str:
    """Every non-secret output, plus the host's log: what `pulumi up` would show or store in plain text."""
    parts = []
    for result in results:
        if result is None:
            continue
        plain = {key: value for key, value in result.outs.items() if key not in result.secret_outputs}
        parts.append(json.dumps(plain, default=str))
    if host is not None:
        parts.append(host.log_text())
    return "\n".join(parts)


def assert_no_secret(text: str, secrets: list[str | None]) -> None:
    for secret in [TEST_TOKEN, *secrets]:
        if secret:
            assert secret not in text, f"a secret value ({len(secret)} characters) appears in plain text"


def provider_error(call: Any) -> ProviderError:
    try:
        call()
    except ProviderError as exc:
        return exc
    raise AssertionError("the provider was expected to fail")
