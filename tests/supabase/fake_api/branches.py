"""Branches (Supabase branching): create under a parent project, get, list, get by name, update, reset, delete.

A branch is a project of its own: creating one adds a Project to the stand-in under a new ref, so every
project-scoped endpoint (settings, secrets, functions, pooler, keys, Storage, the SQL endpoint) answers under the
branch's ref exactly as it does for the parent. The parent gets its default branch (`main`, is_default, the
parent's own ref) the first time branching is used, as the live API lists it. Deleting a branch removes its
project and nothing of the parent; the default branch cannot be deleted this way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.supabase.fake_api.model import Project, Reply, _new_ref, _now

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/branches", "_list_branches"),
    ("POST", "/v1/projects/{ref}/branches", "_create_branch"),
    ("GET", "/v1/projects/{ref}/branches/{name}", "_get_branch_by_name"),
    ("GET", "/v1/branches/{branch_id_or_ref}", "_get_branch"),
    ("PATCH", "/v1/branches/{branch_id_or_ref}", "_update_branch"),
    ("DELETE", "/v1/branches/{branch_id_or_ref}", "_delete_branch"),
    ("POST", "/v1/branches/{branch_id_or_ref}/reset", "_reset_branch"),
]


@dataclass
class Branch:
    id: str
    name: str
    project_ref: str
    parent_project_ref: str
    is_default: bool = False
    persistent: bool = False
    git_branch: str | None = None
    with_data: bool = False
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    resets: int = 0

    def response(self, project: Project) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "name": self.name, "project_ref": self.project_ref,
            "parent_project_ref": self.parent_project_ref, "is_default": self.is_default,
            "persistent": self.persistent, "status": "FUNCTIONS_DEPLOYED" if project.status == "ACTIVE_HEALTHY"
            else "CREATING_PROJECT", "created_at": self.created_at, "updated_at": self.updated_at,
            "with_data": self.with_data, "preview_project_status": project.status,
        }  # fmt: skip
        if self.git_branch is not None:
            body["git_branch"] = self.git_branch
        return body


class BranchesApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    branches: dict[str, Branch]  # branch ref -> branch, set by FakeSupabase.__init__

    def branches_of(self, parent_ref: str) -> list[Branch]:
        return [b for b in self.branches.values() if b.parent_project_ref == parent_ref]

    def _list_branches(self, params: dict[str, str], *_: Any) -> Any:
        parent = self._project(params)  # type: ignore[attr-defined]
        # A test sets hide_branches_from_next_list to answer one list as it stood before those branches existed.
        hidden = self.__dict__.pop("hide_branches_from_next_list", [])
        listed = [b for b in self.branches_of(parent.ref) if b.project_ref not in hidden]
        return 200, [b.response(self.projects[b.project_ref]) for b in listed]  # type: ignore[attr-defined]

    def _create_branch(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        parent: Project = self._project(params)  # type: ignore[attr-defined]
        if parent.ref in self.branches and not self.branches[parent.ref].is_default:
            raise Reply(400, {"message": "A branch cannot be the parent of another branch"})
        if any(b.name == body["branch_name"] for b in self.branches_of(parent.ref)):
            raise Reply(409, {"message": f"A branch named {body['branch_name']} already exists"})
        if parent.ref not in self.branches:
            self.branches[parent.ref] = Branch(
                id=str(uuid.uuid4()), name="main", project_ref=parent.ref, parent_project_ref=parent.ref,
                is_default=True, persistent=True,
            )  # fmt: skip
        project = Project(
            ref=_new_ref(), name=body["branch_name"], organization_slug=parent.organization_slug,
            region=body.get("region") or parent.region, db_pass="branch-" + uuid.uuid4().hex,
            instance_size=body.get("desired_instance_size", "micro"),
        )  # fmt: skip
        self.projects[project.ref] = project  # type: ignore[attr-defined]
        branch = Branch(
            id=str(uuid.uuid4()), name=body["branch_name"], project_ref=project.ref, parent_project_ref=parent.ref,
            persistent=bool(body.get("persistent", False)), git_branch=body.get("git_branch"),
            with_data=bool(body.get("with_data", False)),
        )  # fmt: skip
        self.branches[project.ref] = branch
        return 201, branch.response(project)

    def _get_branch_by_name(self, params: dict[str, str], *_: Any) -> Any:
        parent = self._project(params)  # type: ignore[attr-defined]
        for branch in self.branches_of(parent.ref):
            if branch.name == params["name"]:
                return 200, branch.response(self.projects[branch.project_ref])  # type: ignore[attr-defined]
        raise Reply(404, {"message": f"Branch {params['name']} not found"})

    def _branch(self, params: dict[str, str]) -> Branch:
        key = params["branch_id_or_ref"]
        branch = self.branches.get(key) or next((b for b in self.branches.values() if b.id == key), None)
        if branch is None:
            raise Reply(404, {"message": "Branch not found"})
        return branch

    def _get_branch(self, params: dict[str, str], *_: Any) -> Any:
        branch = self._branch(params)
        project: Project = self.projects[branch.project_ref]  # type: ignore[attr-defined]
        if project.status == "COMING_UP":  # a branch comes up as a project does: after a few polls
            if project.polls_until_active <= 0:
                project.status = "ACTIVE_HEALTHY"
            project.polls_until_active -= 1
        return 200, {
            "ref": project.ref, "postgres_version": "17.4.1.054", "postgres_engine": "17", "release_channel": "ga",
            "status": project.status, "db_host": f"db.{project.ref}.supabase.co", "db_port": 5432,
            "db_user": "postgres", "db_pass": project.db_pass, "jwt_secret": "jwt-" + project.ref,
        }  # fmt: skip

    def _update_branch(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        branch = self._branch(params)
        for key in ("git_branch", "persistent"):
            if key in body:
                setattr(branch, key, body[key])
        if "branch_name" in body:
            branch.name = body["branch_name"]
        branch.updated_at = _now()
        return 200, branch.response(self.projects[branch.project_ref])  # type: ignore[attr-defined]

    def _reset_branch(self, params: dict[str, str], *_: Any) -> Any:
        branch = self._branch(params)
        if branch.is_default:
            raise Reply(400, {"message": "The default branch cannot be reset"})
        branch.resets += 1
        return 201, {"workflow_run_id": str(uuid.uuid4()), "message": "ok"}

    def _delete_branch(self, params: dict[str, str], *_: Any) -> Any:
        branch = self._branch(params)
        if branch.is_default:
            raise Reply(400, {"message": "The default branch cannot be deleted; disable branching instead"})
        del self.branches[branch.project_ref]
        self.projects[branch.project_ref].status = "REMOVED"  # type: ignore[attr-defined]
        return 200, {"message": "ok"}
