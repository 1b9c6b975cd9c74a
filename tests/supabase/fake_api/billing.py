"""Add-ons (point-in-time recovery) and the PITR restore."""

from __future__ import annotations

from typing import Any

# (method, path as the spec writes it, handler)
ROUTES = [
    ("PATCH", "/v1/projects/{ref}/billing/addons", "_apply_addon"),
    ("GET", "/v1/projects/{ref}/billing/addons", "_list_addons"),
    ("DELETE", "/v1/projects/{ref}/billing/addons/{addon_variant}", "_remove_addon"),
    ("POST", "/v1/projects/{ref}/database/backups/restore-pitr", "_restore_pitr"),
]


class BillingApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _apply_addon(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        if body["addon_type"] == "compute_instance":
            project.instance_size = body["addon_variant"].removeprefix("ci_")
        elif body["addon_type"] == "pitr":
            project.pitr_variant = body["addon_variant"]
        return 200, None

    def _list_addons(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        selected = [
            {
                "type": "compute_instance",
                "variant": {
                    "id": f"ci_{project.instance_size}",
                    "name": project.instance_size,
                    "price": {"description": "compute", "type": "usage", "interval": "hourly", "amount": 0.01344},
                },
            }
        ]
        if project.pitr_variant:
            days = project.pitr_variant.removeprefix("pitr_")
            selected.append(
                {
                    "type": "pitr",
                    "variant": {
                        "id": project.pitr_variant,
                        "name": f"{days} days",
                        "price": {"description": "PITR", "type": "fixed", "interval": "monthly", "amount": 100},
                    },
                }
            )
        return 200, {"selected_addons": selected, "available_addons": []}

    def _remove_addon(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if params["addon_variant"] == project.pitr_variant:
            project.pitr_variant = ""
        return 200, None

    def _restore_pitr(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        # The spec documents no refusal for a project without the add-on (201, 401, 403, 429 only).
        project.pitr_restores.append(int(body["recovery_time_target_unix"]))
        return 201, None
