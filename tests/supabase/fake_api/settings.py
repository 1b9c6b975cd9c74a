"""Settings groups: auth, Postgres, SSL enforcement, network restrictions."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from tests.supabase.fake_api.model import (
    SECRET_AUTH_FIELD,
    Project,
    Reply,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/config/auth", "_get_auth"),
    ("PATCH", "/v1/projects/{ref}/config/auth", "_patch_auth"),
    ("GET", "/v1/projects/{ref}/config/database/postgres", "_get_postgres"),
    ("PUT", "/v1/projects/{ref}/config/database/postgres", "_put_postgres"),
    ("GET", "/v1/projects/{ref}/ssl-enforcement", "_get_ssl"),
    ("PUT", "/v1/projects/{ref}/ssl-enforcement", "_put_ssl"),
    ("GET", "/v1/projects/{ref}/network-restrictions", "_get_network"),
    ("POST", "/v1/projects/{ref}/network-restrictions/apply", "_apply_network"),
]


class SettingsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # auth
    def _auth_view(self, project: Project) -> dict[str, Any]:
        view = dict(project.auth_config)
        for key, value in view.items():
            if SECRET_AUTH_FIELD.search(key) and isinstance(value, str):
                view[key] = hmac.new(project.ref.encode(), value.encode(), hashlib.sha256).hexdigest()
        return view

    def _get_auth(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._auth_view(self._project(params))

    def _patch_auth(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        unknown = set(body) - set(project.auth_config)
        if unknown:
            raise Reply(400, {"message": f"unknown auth fields {sorted(unknown)}"})
        project.auth_config.update(body)
        return 200, self._auth_view(project)

    # database settings
    def _get_postgres(self, params: dict[str, str], *_: Any) -> Any:
        return 200, dict(self._project(params).postgres_config)

    def _put_postgres(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.postgres_config.update({k: v for k, v in body.items() if k != "restart_database"})
        return 200, dict(project.postgres_config)

    def _get_ssl(self, params: dict[str, str], *_: Any) -> Any:
        return 200, {"currentConfig": {"database": self._project(params).ssl_enforced}, "appliedSuccessfully": True}

    def _put_ssl(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.ssl_enforced = body["requestedConfig"]["database"]
        return 200, {"currentConfig": {"database": project.ssl_enforced}, "appliedSuccessfully": True}

    def _network_view(self, project: Project) -> dict[str, Any]:
        return {
            "entitlement": "allowed",
            "config": {
                "dbAllowedCidrs": list(project.allowed_cidrs),
                "dbAllowedCidrsV6": list(project.allowed_cidrs_v6),
            },
            "status": "applied",
        }

    def _get_network(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._network_view(self._project(params))

    def _apply_network(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.allowed_cidrs = list(body.get("dbAllowedCidrs", []))
        project.allowed_cidrs_v6 = list(body.get("dbAllowedCidrsV6", []))
        return 201, self._network_view(project)
