"""GET /v2/projects/{ref}/config: the one read the Supabase CLI (2.117.0) makes before `config push`.

The published spec (v1) does not describe it, so its answer is composed only of answers the spec does
describe and the stand-in validates: {"data": {"attributes": {<service>: <that service's v1 answer>}}}.
That is the envelope the CLI reads (data.attributes.<service>, auth keyed by the v1 field names, auth
secrets as HMACs); a service left out is one the CLI reports "not returned" and skips. Each group that
needs to be compared adds its service to ATTRIBUTE_VIEWS (docs/supabase.md, "The real CLI as reference").
"""

from __future__ import annotations

from typing import Any

ROUTES: list[tuple[str, str, str]] = []  # nothing of the spec
# (method, path, operation name, handler): not in the spec, answered from spec-validated views
COMPOSED_ROUTES = [
    ("GET", "/v2/projects/{ref}/config", "v2-get-project-config", "_get_project_config_v2"),
]

# service name in the CLI's envelope -> the FakeSupabase method giving that service's v1 answer
ATTRIBUTE_VIEWS = {
    "auth": "_auth_view",
}


class ProjectConfigV2Api:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _get_project_config_v2(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)  # type: ignore[attr-defined]
        attributes = {service: getattr(self, view)(project) for service, view in ATTRIBUTE_VIEWS.items()}
        return 200, {"data": {"type": "project_config", "id": project.ref, "attributes": attributes}}
