"""Service settings groups: the Data API (PostgREST), the Storage service, the Supavisor pooler; and the one
read `supabase config push` makes of all of them, GET /v2/projects/{ref}/config.

That v2 read is not in the OpenAPI spec this stand-in is checked against (the spec is the v1 API), so it is
routed as an unspecified read: authenticated like every route, answered as a projection of the same v1 state
the spec-checked routes keep, never written through. Its envelope ({"data": {"type": "project_config",
"attributes": {...}}}) and block names are the ones the CLI's own description of the endpoint and its
decoder name; only the blocks this stand-in models are returned (the CLI reports the others as "not returned").
"""

from __future__ import annotations

import copy
from typing import Any

from tests.supabase.fake_api.model import Project

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/postgrest", "_get_postgrest"),
    ("PATCH", "/v1/projects/{ref}/postgrest", "_patch_postgrest"),
    ("GET", "/v1/projects/{ref}/config/storage", "_get_storage_config"),
    ("PATCH", "/v1/projects/{ref}/config/storage", "_patch_storage_config"),
    ("PATCH", "/v1/projects/{ref}/config/database/pooler", "_patch_pooler"),
]
# (method, path, operation name, handler): reads outside the spec, see the module's docstring.
UNSPECIFIED_ROUTES = [
    ("GET", "/v2/projects/{ref}/config", "v2-get-project-config", "_get_project_config_v2"),
]
STORAGE_FEATURES_V2 = {  # v1 (camelCase) feature name -> the v2 read's snake_case name
    "imageTransformation": "image_transformation",
    "s3Protocol": "s3_protocol",
    "icebergCatalog": "iceberg_catalog",
    "vectorBuckets": "vector_buckets",
}


def default_postgrest() -> dict[str, Any]:
    """A new hosted project's Data API, as Supabase creates it. db_pool_acquisition_timeout is not in the v1 spec
    we check against (extra answer fields are allowed there), but the CLI's newer client requires it in answers."""
    return {"db_schema": "public,graphql_public", "max_rows": 1000, "db_extra_search_path": "public,extensions",
            "db_pool": None, "db_pool_acquisition_timeout": None}  # fmt: skip


def default_storage_config() -> dict[str, Any]:
    return {
        "fileSizeLimit": 52428800,
        "features": {
            "imageTransformation": {"enabled": False},
            "s3Protocol": {"enabled": True},
            "icebergCatalog": {"enabled": False, "maxNamespaces": 0, "maxTables": 0, "maxCatalogs": 0},
            "vectorBuckets": {"enabled": False, "maxBuckets": 0, "maxIndexes": 0},
        },
        "capabilities": {"list_v2": True, "iceberg_catalog": False},
        "external": {"upstreamTarget": "main"},
        "migrationVersion": "fix-optimized-search-function",
        "databasePoolMode": "recycled",
    }


def default_pooler() -> dict[str, Any]:
    return {"pool_mode": "transaction", "default_pool_size": 15, "max_client_conn": 200}


class ServiceSettingsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # Data API
    def _get_postgrest(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        return 200, {**project.postgrest, "jwt_secret": "super-secret-jwt-token-" + project.ref}

    def _patch_postgrest(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.postgrest.update(body)
        return 200, dict(project.postgrest)

    # Storage service
    def _get_storage_config(self, params: dict[str, str], *_: Any) -> Any:
        return 200, copy.deepcopy(self._project(params).storage_config)

    def _patch_storage_config(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        config = self._project(params).storage_config
        if "fileSizeLimit" in body:
            config["fileSizeLimit"] = body["fileSizeLimit"]
        for feature, value in (body.get("features") or {}).items():
            config["features"][feature] = dict(value)
        if "external" in body:
            config["external"] = dict(body["external"])
        return 200, None

    # pooler (the GET is the project module's: it carries the connection strings too)
    def _patch_pooler(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.pooler.update({key: value for key, value in body.items() if key in ("pool_mode", "default_pool_size")})
        return 200, {"default_pool_size": project.pooler["default_pool_size"], "pool_mode": project.pooler["pool_mode"]}

    # the CLI's one read
    def _get_project_config_v2(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        # The auth view is the spec-validated v1 answer of GET .../config/auth (settings.py), as the CLI reads it.
        attributes = {**project_config_v2(project), "auth": self._auth_view(project)}  # type: ignore[attr-defined]
        return 200, {"data": {"type": "project_config", "id": project.ref, "attributes": attributes}}


def project_config_v2(project: Project) -> dict[str, Any]:
    storage = project.storage_config
    features = {
        STORAGE_FEATURES_V2[name]: {
            ("max_" + key[3:].lower() if key.startswith("max") else key): value for key, value in feature.items()
        }
        for name, feature in storage["features"].items()
    }
    cidrs = [{"address": cidr, "type": "v4"} for cidr in project.allowed_cidrs]
    cidrs += [{"address": cidr, "type": "v6"} for cidr in project.allowed_cidrs_v6]
    return {
        "api": {key: project.postgrest[key] for key in ("db_schema", "db_extra_search_path", "max_rows", "db_pool")},
        "database": {
            "major_version": 17,
            "ssl_enforced": project.ssl_enforced,
            "postgres_settings": dict(project.postgres_config),
            "network_restrictions": {"allowed_cidrs": cidrs},
        },
        "pooler": dict(project.pooler),
        "storage": {"file_size_limit": storage["fileSizeLimit"], "features": features},
    }
