"""The custom domain's life cycle: initialize, reverify, activate."""

from __future__ import annotations

import hashlib
from typing import Any

from tests.supabase.fake_api.model import (
    Project,
    Reply,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/custom-hostname", "_get_hostname"),
    ("DELETE", "/v1/projects/{ref}/custom-hostname", "_delete_hostname"),
    ("POST", "/v1/projects/{ref}/custom-hostname/initialize", "_initialize_hostname"),
    ("POST", "/v1/projects/{ref}/custom-hostname/reverify", "_reverify_hostname"),
    ("POST", "/v1/projects/{ref}/custom-hostname/activate", "_activate_hostname"),
]


class CustomHostnameApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # custom domain
    def _hostname_view(self, project: Project) -> dict[str, Any]:
        host = project.custom_hostname
        return {
            "status": project.hostname_status,
            "custom_hostname": host,
            "data": {
                "success": True, "errors": [], "messages": [],
                "result": {
                    "id": hashlib.md5(host.encode()).hexdigest(), "hostname": host,
                    "ssl": {"status": "pending_validation" if project.hostname_status < "3" else "active",
                            "validation_records": [{"txt_name": f"_acme-challenge.{host}",
                                                    "txt_value": hashlib.sha1(host.encode()).hexdigest()}]},
                    "ownership_verification": {"type": "txt", "name": f"_cf-custom-hostname.{host}",
                                               "value": hashlib.md5(project.ref.encode()).hexdigest()},
                    "custom_origin_server": f"{project.ref}.supabase.co", "status": "pending",
                },
            },
        }  # fmt: skip

    def _get_hostname(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._hostname_view(self._project(params))

    def _delete_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        project.custom_hostname, project.hostname_status = "", "1_not_started"
        return 200, None

    def _initialize_hostname(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.custom_hostname, project.hostname_status = body["custom_hostname"], "2_initiated"
        return 201, self._hostname_view(project)

    def _reverify_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if not project.custom_hostname:
            raise Reply(400, {"message": "No custom hostname configured"})
        project.reverifies_until_verified -= 1
        if project.reverifies_until_verified <= 0 and project.hostname_status < "3":
            project.hostname_status = "3_challenge_verified"
        return 201, self._hostname_view(project)

    def _activate_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.hostname_status < "3":
            raise Reply(400, {"message": "The custom hostname has not been verified yet"})
        project.hostname_status = "5_services_reconfigured"
        return 201, self._hostname_view(project)
