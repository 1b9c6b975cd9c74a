"""What every Supabase provider shares: where the token comes from, and diff helpers that tolerate preview.

Props every resource carries (camelCase, as the engine stores them):
  managementApiUrl  the Management API base URL (https://api.supabase.com; a local server in tests)
  projectRef        the project the resource belongs to (every resource but the project itself)
The access token is never a prop: it comes from SUPABASE_ACCESS_TOKEN or from the stack's secret
`supabaseAccessToken`, which the engine hands to `configure`, so it never lands in the state.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, DiffResult, ResourceProvider

from providers.supabase.client import DEFAULT_API_URL, ManagementClient, resolve_token
from providers.supabase.errors import Redactor

# What an unknown value looks like to a dynamic provider during preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROJECT_REF_PATTERN = re.compile(r"^[a-z]{20}$")
# Written into state by `read` in place of a secret whose digest no longer matches: the next diff sees
# a change and sends the configured value again, and no real secret is ever stored in its place.
CHANGED_OUTSIDE = "<changed outside pulumi>"


def is_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(item) for item in value)
    return False


def as_int(value: Any) -> int | None:
    """The engine sends every number as a float."""
    return None if value is None else int(value)


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    return [key for key in keys if is_unknown(news.get(key)) or _normal(olds.get(key)) != _normal(news.get(key))]


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return value


def diff_result(changes: list[str], replace_keys: Iterable[str] = ()) -> DiffResult:
    replaces = [key for key in changes if key in set(replace_keys)]
    return DiffResult(changes=bool(changes), replaces=replaces, stables=[], delete_before_replace=bool(replaces))


def require_ref(props: Mapping[str, Any], failures: list[CheckFailure]) -> None:
    ref = props.get("projectRef")
    if not is_unknown(ref) and not (isinstance(ref, str) and PROJECT_REF_PATTERN.match(ref)):
        failures.append(CheckFailure("projectRef", "a Supabase project ref is 20 lowercase letters"))


def sha256_hex(value: str) -> str:
    """The digest GET /secrets returns in place of each secret's value."""
    return hashlib.sha256(value.encode()).hexdigest()


def auth_secret_hmac(ref: str, value: str) -> str:
    """The digest GET /config/auth returns in place of each secret field: HMAC-SHA256 keyed by the ref."""
    return hmac.new(ref.encode(), value.encode(), hashlib.sha256).hexdigest()


class SupabaseProvider(ResourceProvider):
    """Base of every Supabase provider; holds no client, only the token the engine configured."""

    def configure(self, req: ConfigureRequest) -> None:
        configured = req.config.get("supabaseAccessToken")
        self._configured_token = configured if isinstance(configured, str) else None

    def management(self, props: Mapping[str, Any], *secrets: str | None) -> ManagementClient:
        token = resolve_token(getattr(self, "_configured_token", None))
        return ManagementClient(token, props.get("managementApiUrl") or DEFAULT_API_URL, redactor=Redactor(*secrets))

    @staticmethod
    def env_float(name: str, default: float) -> float:
        return float(os.environ.get(name, default))
