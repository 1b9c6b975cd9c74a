"""The Management API's branching operations, beside the project ones (client.py): a branch is created under a
parent project and is then a project of its own, whose ref every project-scoped call takes.

Creating a branch is not retried blindly (a lost answer may still have created it): the branch provider looks
the name up before each attempt, as the project provider does with project names.
"""

from __future__ import annotations

from typing import Any

from providers.supabase.client import ManagementClient


class BranchingClient(ManagementClient):
    def list_branches(self, parent_ref: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/projects/{parent_ref}/branches", "list branches", f"project {parent_ref}")

    def create_branch(self, parent_ref: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v1/projects/{parent_ref}/branches",
            "create branch",
            f"branch {body['branch_name']!r} of project {parent_ref}",
            json=body,
            idempotent=False,
        )

    def get_branch(self, branch_ref: str) -> dict[str, Any]:
        """The branch's own project: status, database host and password (BranchDetailResponse)."""
        return self._call("GET", f"/v1/branches/{branch_ref}", "get branch", f"branch {branch_ref}")

    def update_branch(self, branch_ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PATCH",
            f"/v1/branches/{branch_ref}",
            "update branch",
            f"branch {branch_ref}",
            json=changes,
            idempotent=True,
        )

    def delete_branch(self, branch_ref: str) -> None:
        # force=true (the default) deletes at once; a scheduled deletion would keep billing for an hour.
        self._call("DELETE", f"/v1/branches/{branch_ref}", "delete branch", f"branch {branch_ref}")
