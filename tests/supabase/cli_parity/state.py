"""A stand-in project's settings, flattened to one dotted path per field, so two projects compare field by field."""

from __future__ import annotations

from typing import Any

from tests.supabase.fake_api.model import Project


def settings_state(project: Project) -> dict[str, Any]:
    state: dict[str, Any] = {}
    _flatten("api", project.postgrest, state)
    _flatten("db.settings", project.postgres_config, state)
    state["db.ssl_enforcement.enabled"] = project.ssl_enforced
    state["db.network_restrictions.allowed_cidrs"] = list(project.allowed_cidrs)
    state["db.network_restrictions.allowed_cidrs_v6"] = list(project.allowed_cidrs_v6)
    _flatten("db.pooler", project.pooler, state)
    _flatten("storage", project.storage_config, state)
    return state


def differing_fields(left: dict[str, Any], right: dict[str, Any]) -> set[str]:
    return {path for path in left.keys() | right.keys() if left.get(path, "<absent>") != right.get(path, "<absent>")}


def _flatten(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}", item, into)
    else:
        into[prefix] = value
