"""The official Management API spec, loaded once with its three known errors patched in memory.

See /work/shared/supabase/README.md (or ../shared/supabase from the checkout): `V1CreateProjectBody` has a
non-standard `hideDefinitions` key, and two boolean query parameters have string defaults. The file
itself is never edited.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from openapi_core import OpenAPI

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SPEC_CANDIDATES = (
    PROJECT_ROOT.parent / "shared" / "supabase" / "management-api.openapi.json",
    Path("/work/shared/supabase/management-api.openapi.json"),
)
BOOLEAN_STRING_DEFAULTS = (
    ("/v1/branches/{branch_id_or_ref}", "delete", "force"),
    ("/v1/projects/{ref}/custom-hostname", "delete", "remove_addon"),
)


def spec_path() -> Path:
    for candidate in SPEC_CANDIDATES:
        if candidate.exists():
            return candidate
    raise FileNotFoundError("management-api.openapi.json not found next to the checkout (../shared/supabase/)")


@cache
def raw_spec() -> dict[str, Any]:
    return json.loads(spec_path().read_text())


def patched_spec() -> dict[str, Any]:
    spec = copy.deepcopy(raw_spec())
    spec["components"]["schemas"]["V1CreateProjectBody"].pop("hideDefinitions", None)
    for path, method, name in BOOLEAN_STRING_DEFAULTS:
        for parameter in spec["paths"][path][method]["parameters"]:
            if parameter["name"] == name and isinstance(parameter["schema"].get("default"), str):
                parameter["schema"]["default"] = parameter["schema"]["default"] == "true"
    return spec


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(patched_spec())


def operation_ids() -> dict[tuple[str, str], str]:
    """(METHOD, path template) -> operationId."""
    return {
        (method.upper(), path): operation["operationId"]
        for path, operations in raw_spec()["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict) and "operationId" in operation
    }


def schema(name: str) -> dict[str, Any]:
    return raw_spec()["components"]["schemas"][name]
