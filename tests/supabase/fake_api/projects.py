"""Projects and their keys, health, pooler and database password."""

from __future__ import annotations

from typing import Any

from tests.supabase.fake_api.model import (
    Project,
    Reply,
    _new_ref,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/organizations/{slug}/projects", "_org_projects"),
    ("GET", "/v1/projects", "_list_projects"),
    ("POST", "/v1/projects", "_create_project"),
    ("GET", "/v1/projects/{ref}", "_get_project"),
    ("PATCH", "/v1/projects/{ref}", "_rename_project"),
    ("DELETE", "/v1/projects/{ref}", "_delete_project"),
    ("GET", "/v1/projects/{ref}/health", "_health"),
    ("GET", "/v1/projects/{ref}/api-keys", "_api_keys"),
    ("GET", "/v1/projects/{ref}/config/database/pooler", "_pooler"),
    ("PATCH", "/v1/projects/{ref}/database/password", "_set_password"),
]


class ProjectsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    # projects
    def _org_projects(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        if params["slug"] != self.organization:
            raise Reply(404, {"message": "Organization not found"})
        args = dict(query)
        search = args.get("search", "").lower()
        offset, limit = int(args.get("offset", 0)), int(args.get("limit", 100))
        matching = [
            p for p in self.projects.values() if p.status != "REMOVED" and search in p.name.lower()
        ]  # fmt: skip
        page = [
            {
                "ref": p.ref, "name": p.name, "cloud_provider": "AWS", "region": p.region,
                "is_branch": p.ref in self.branches and not self.branches[p.ref].is_default,
                "status": p.status, "inserted_at": p.created_at,
                "databases": [{
                    "infra_compute_size": p.instance_size, "region": p.region, "cloud_provider": "AWS",
                    "identifier": p.ref, "type": "PRIMARY",
                    "status": p.status if p.status != "INACTIVE" else "UNKNOWN",
                }],
            }
            for p in matching[offset : offset + limit]
        ]  # fmt: skip
        return 200, {"projects": page, "pagination": {"count": len(matching), "limit": limit, "offset": offset}}

    def _list_projects(self, *_: Any) -> Any:
        return 200, [p.response() for p in self.projects.values() if p.status != "REMOVED"]

    def _create_project(self, _params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        if body["organization_slug"] != self.organization:
            raise Reply(403, {"message": "You do not have permission to create projects in this organization"})
        region = body.get("region") or body.get("region_selection", {}).get("code", "us-east-1")
        project = Project(
            ref=_new_ref(), name=body["name"], organization_slug=body["organization_slug"], region=region,
            db_pass=body["db_pass"], instance_size=body.get("desired_instance_size", "micro"),
        )  # fmt: skip
        self.projects[project.ref] = project
        return 201, project.response(with_database=False)

    def _get_project(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.status == "COMING_UP":
            if project.polls_until_active <= 0:
                project.status = "ACTIVE_HEALTHY"
            project.polls_until_active -= 1
        return 200, project.response()

    def _rename_project(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.name = body["name"]
        return 200, {"id": 1, "ref": project.ref, "name": project.name}

    def _delete_project(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.delete_refusals > 0:
            project.delete_refusals -= 1
            raise Reply(400, {"message": "Project is not ready for deletion yet, try again in a moment"})
        project.status = "REMOVED"
        return 200, {"id": 1, "ref": project.ref, "name": project.name}

    def _health(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        project = self._project(params)
        healthy = project.status == "ACTIVE_HEALTHY" and project.health_polls_until_healthy <= 0
        project.health_polls_until_healthy -= 1
        return 200, [
            {"name": name, "healthy": healthy, "status": "ACTIVE_HEALTHY" if healthy else "COMING_UP"}
            for name, _ in ((value, 0) for key, value in query if key == "services")
        ]

    def _api_keys(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        project = self._project(params)
        reveal = dict(query).get("reveal") == "true"
        return 200, [
            {"name": "anon", "api_key": project.anon_key, "type": "legacy", "id": "anon"},
            {"name": "service_role", "api_key": project.service_key if reveal else None, "type": "legacy",
             "id": "service_role"},
        ]  # fmt: skip

    def _pooler(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        host, port, user, database = self.database_endpoint or (
            f"aws-0-{project.region}.pooler.supabase.com",
            6543,
            f"postgres.{project.ref}",
            "postgres",
        )
        mode = "session" if self.database_endpoint else project.pooler["pool_mode"]
        url = f"postgresql://{user}:[YOUR-PASSWORD]@{host}:{port}/{database}"
        return 200, [{
            "identifier": project.ref, "database_type": "PRIMARY", "is_using_scram_auth": True,
            "db_user": user, "db_host": host, "db_port": port, "db_name": database,
            "connection_string": url, "connectionString": url,
            "default_pool_size": project.pooler["default_pool_size"], "max_client_conn": project.pooler["max_client_conn"],
            "pool_mode": mode,
        }]  # fmt: skip

    def _set_password(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        self._project(params).db_pass = body["password"]
        return 200, {"message": "Password updated"}
