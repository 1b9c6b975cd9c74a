"""Edge function secrets (values never returned, only their SHA-256)."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.supabase.fake_api.model import (
    _now,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/secrets", "_list_secrets"),
    ("POST", "/v1/projects/{ref}/secrets", "_create_secrets"),
    ("DELETE", "/v1/projects/{ref}/secrets", "_delete_secrets"),
]


class FunctionSecretsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # function secrets
    def _list_secrets(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        injected = {"SUPABASE_URL": f"https://{project.ref}.supabase.co", "SUPABASE_ANON_KEY": project.anon_key}
        return 200, [
            {"name": name, "value": hashlib.sha256(value.encode()).hexdigest(), "updated_at": _now()}
            for name, value in sorted({**injected, **project.secrets}.items())
        ]

    def _create_secrets(self, params: dict[str, str], body: list[dict[str, str]], *_: Any) -> Any:
        project = self._project(params)
        project.secrets.update({item["name"]: item["value"] for item in body})
        return 201, None

    def _delete_secrets(self, params: dict[str, str], body: list[str], *_: Any) -> Any:
        project = self._project(params)
        for name in body:
            project.secrets.pop(name, None)
        return 200, None
