"""What every Supabase provider shares: where the token comes from, and the project ref's rule. The diff helpers
every provider uses (Supabase's and Stripe's) are in providers/base.py; they are imported here for the Supabase
modules.

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
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider

from providers.base import UNKNOWN, Redactor, as_int, changed_keys, diff_result, is_unknown
from providers.supabase.client import DEFAULT_API_URL, ManagementClient, resolve_token

PROJECT_REF_PATTERN = re.compile(r"^[a-z]{20}$")
# Written into state by `read` in place of a secret whose digest no longer matches: the next diff sees
# a change and sends the configured value again, and no real secret is ever stored in its place.
CHANGED_OUTSIDE = "<changed outside pulumi>"


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


__all__ = [
    "CHANGED_OUTSIDE",
    "UNKNOWN",
    "Redactor",
    "SupabaseProvider",
    "as_int",
    "auth_secret_hmac",
    "changed_keys",
    "diff_result",
    "is_unknown",
    "require_ref",
    "sha256_hex",
]


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
