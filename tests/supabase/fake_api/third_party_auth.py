"""Third-party auth integrations (Firebase, Auth0, Cognito, Clerk, WorkOS as OIDC issuers)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.supabase.fake_api.model import Reply, _now

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/config/auth/third-party-auth", "_list_tpa"),
    ("POST", "/v1/projects/{ref}/config/auth/third-party-auth", "_create_tpa"),
    ("GET", "/v1/projects/{ref}/config/auth/third-party-auth/{tpa_id}", "_get_tpa"),
    ("DELETE", "/v1/projects/{ref}/config/auth/third-party-auth/{tpa_id}", "_delete_tpa"),
]


class ThirdPartyAuthApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _list_tpa(self, params: dict[str, str], *_: Any) -> Any:
        return 200, list(self._project(params).third_party_auth.values())  # type: ignore[attr-defined]

    def _create_tpa(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)  # type: ignore[attr-defined]
        if not (body.get("oidc_issuer_url") or body.get("jwks_url") or body.get("custom_jwks")):
            raise Reply(400, {"message": "oidc_issuer_url, jwks_url or custom_jwks is required"})
        now = _now()
        integration = {
            "id": str(uuid.uuid4()),
            "type": "oidc" if body.get("oidc_issuer_url") else "jwks",
            "oidc_issuer_url": body.get("oidc_issuer_url"),
            "jwks_url": body.get("jwks_url"),
            "custom_jwks": body.get("custom_jwks"),
            "resolved_jwks": None,
            "inserted_at": now,
            "updated_at": now,
            "resolved_at": None,
        }
        project.third_party_auth[integration["id"]] = integration
        return 201, integration

    def _get_tpa(self, params: dict[str, str], *_: Any) -> Any:
        integration = self._project(params).third_party_auth.get(params["tpa_id"])  # type: ignore[attr-defined]
        if integration is None:
            raise Reply(404, {"message": "Third-party auth integration not found"})
        return 200, integration

    def _delete_tpa(self, params: dict[str, str], *_: Any) -> Any:
        integration = self._project(params).third_party_auth.pop(params["tpa_id"], None)  # type: ignore[attr-defined]
        if integration is None:
            raise Reply(404, {"message": "Third-party auth integration not found"})
        return 200, integration
