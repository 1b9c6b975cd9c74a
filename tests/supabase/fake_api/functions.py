"""Edge functions: deploy (multipart, as the CLI sends it), read, list, delete."""

from __future__ import annotations

import json
from io import BytesIO
from typing import Any

from werkzeug.formparser import parse_form_data

from tests.supabase.fake_api.model import (
    Function,
    Reply,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/functions", "_list_functions"),
    ("POST", "/v1/projects/{ref}/functions/deploy", "_deploy_function"),
    ("GET", "/v1/projects/{ref}/functions/{function_slug}", "_get_function"),
    ("DELETE", "/v1/projects/{ref}/functions/{function_slug}", "_delete_function"),
]


class FunctionsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # edge functions
    def _list_functions(self, params: dict[str, str], *_: Any) -> Any:
        return 200, [f.response() for f in self._project(params).functions.values()]

    def _deploy_function(
        self, params: dict[str, str], body: Any, query: list[tuple[str, str]], raw: bytes, content_type: str
    ) -> Any:
        project = self._project(params)
        _, form, files = parse_form_data(
            {"wsgi.input": BytesIO(raw), "CONTENT_LENGTH": str(len(raw)), "CONTENT_TYPE": content_type,
             "REQUEST_METHOD": "POST"}
        )  # fmt: skip
        metadata = json.loads(form.get("metadata") or files["metadata"].read())
        # FunctionDeployBody.metadata in the spec: these keys only, static_patterns a list of strings.
        unknown = set(metadata) - {"entrypoint_path", "import_map_path", "static_patterns", "verify_jwt", "name"}
        patterns = metadata.get("static_patterns", [])
        if unknown or not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise Reply(400, {"message": f"invalid metadata: {sorted(unknown) or 'static_patterns'}"})
        slug = dict(query).get("slug") or metadata.get("name")
        uploaded = {item.filename: item.read() for item in files.getlist("file")}
        if metadata.get("import_map_path") and metadata["import_map_path"] not in uploaded:
            raise Reply(400, {"message": f"import map {metadata['import_map_path']} is not among the uploaded files"})
        if metadata["entrypoint_path"] not in uploaded:
            raise Reply(400, {"message": f"entrypoint {metadata['entrypoint_path']} is not among the uploaded files"})
        if any(name.startswith("/") or ".." in name.split("/") for name in uploaded):
            raise Reply(400, {"message": "file names must be relative paths inside the bundle"})
        existing = project.functions.get(slug)
        verify_jwt = metadata.get("verify_jwt", existing.verify_jwt if existing else True)
        function = Function(slug, verify_jwt, metadata["entrypoint_path"], uploaded, metadata=metadata)
        function.version = existing.version + 1 if existing else 1
        project.functions[slug] = function
        return 201, function.response()

    def _get_function(self, params: dict[str, str], *_: Any) -> Any:
        function = self._project(params).functions.get(params["function_slug"])
        if function is None:
            raise Reply(404, {"message": "Function not found"})
        return 200, function.response()

    def _delete_function(self, params: dict[str, str], *_: Any) -> Any:
        if self._project(params).functions.pop(params["function_slug"], None) is None:
            raise Reply(404, {"message": "Function not found"})
        return 200, None
