"""Edge functions' bulk update (PUT /functions): what `supabase functions deploy` sends after uploading several
functions' bundles, to set each one's settings (verify_jwt, entrypoint, import map) in one request."""

from __future__ import annotations

from typing import Any

from tests.supabase.fake_api.model import Reply

# (method, path as the spec writes it, handler)
ROUTES = [
    ("PUT", "/v1/projects/{ref}/functions", "_bulk_update_functions"),
]


class FunctionsBulkApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _bulk_update_functions(self, params: dict[str, str], body: list[dict[str, Any]], *_: Any) -> Any:
        project = self._project(params)
        missing = sorted(item["slug"] for item in body if item["slug"] not in project.functions)
        if missing:
            raise Reply(404, {"message": f"functions not found: {', '.join(missing)}"})
        for item in body:
            function = project.functions[item["slug"]]
            if "verify_jwt" in item:
                function.verify_jwt = item["verify_jwt"]
            if item.get("entrypoint_path"):
                function.entrypoint_path = item["entrypoint_path"]
        return 200, {"functions": [project.functions[item["slug"]].response() for item in body]}
