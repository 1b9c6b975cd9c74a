"""A Supabase branch of the stack's parent project (staging): its own project ref, keys and database, created
under the parent, ready before anything uses it, and deleted on destroy without touching the parent.

Props (inputs):
  managementApiUrl, organizationSlug and parentName (the parent, found by name as the project provider finds
  it) or parentProjectRef (the parent pinned), name (`pr-42`, `dev`), gitBranch (optional), persistent,
  instanceSize (optional: Supabase's default, micro), readyTimeoutSeconds, projectUrlTemplate, maxConcurrent
  (how many non-persistent branches the parent may have at once, this one included).
Outputs add:
  ref, branchId, parentRef, projectUrl, anonKey, serviceRoleKey (secret), poolerConnectionString (secret),
  databasePassword (secret), status, createdAt.

The cap is counted from the parent's branch list, which Supabase owns, before the create: a stack cannot
undercount by forgetting its own state. Two stacks that create at the same moment can both pass the count, so
the list is read again after the create and the younger branch over the cap deletes itself, as the project
provider settles two projects of one name. A branch of this name that already exists (a create whose answer was
lost, a rerun after a failure) is adopted instead of created twice.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import PROJECT_REF_PATTERN, SupabaseProvider, as_int, changed_keys, diff_result
from providers.supabase.base import is_unknown as unknown
from providers.supabase.branching import BranchingClient
from providers.supabase.client import DEFAULT_API_URL, resolve_token
from providers.supabase.errors import Redactor, SupabaseError, SupabaseNotFound
from providers.supabase.project import (
    DEFAULT_PROJECT_URL_TEMPLATE,
    FAILED_STATUSES,
    INSTANCE_SIZES,
    pick_api_keys,
    pooler_url,
)

BRANCH_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
SECRET_OUTPUTS = ["serviceRoleKey", "poolerConnectionString", "databasePassword"]


def is_preview(branch: dict[str, Any]) -> bool:
    """What the cap counts: branches that are neither the parent's default nor persistent (dev is persistent)."""
    return not branch.get("is_default") and not branch.get("persistent")


def cap_message(cap: int, previews: list[dict[str, Any]], name: str) -> str:
    listed = ", ".join(f"{b['name']} ({b['project_ref']}, since {b.get('created_at', '?')})" for b in previews)
    return (
        f"preview {name} refused: supabaseBranch.maxConcurrent is {cap} and {len(previews)} preview branches are "
        f"open: {listed}. Close one (`ops preview down --pr N`, or close its pull request) or raise "
        "supabaseBranch.maxConcurrent in Pulumi.preview.yaml"
    )


class BranchProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        name = news.get("name")
        if not unknown(name) and not (isinstance(name, str) and re.match(BRANCH_NAME_PATTERN, name)):
            failures.append(CheckFailure("name", "a branch name of lowercase letters, digits and dashes (pr-42)"))
        parent = news.get("parentProjectRef")
        if parent is not None and not unknown(parent) and not PROJECT_REF_PATTERN.match(str(parent)):
            failures.append(CheckFailure("parentProjectRef", "a project ref is 20 lowercase letters"))
        if parent is None and not (news.get("organizationSlug") and news.get("parentName")):
            failures.append(CheckFailure("parentName", "the parent project: parentProjectRef, or its org and name"))
        size = news.get("instanceSize")
        if size is not None and not unknown(size) and size not in INSTANCE_SIZES:
            failures.append(CheckFailure("instanceSize", f"one of {', '.join(INSTANCE_SIZES)}"))
        cap = news.get("maxConcurrent")
        if not unknown(cap) and (cap is None or int(cap) < 1):
            failures.append(CheckFailure("maxConcurrent", "at least 1"))
        return CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("name", "organizationSlug", "parentName", "parentProjectRef"))
        changes += changed_keys(olds, news, ("gitBranch", "persistent", "instanceSize", "maxConcurrent"))
        changes += changed_keys(olds, news, ("managementApiUrl", "projectUrlTemplate", "readyTimeoutSeconds"))
        # A parent given by ref after it was found by name is the same parent: not a replacement.
        if "parentProjectRef" in changes and news.get("parentProjectRef") in (None, olds.get("parentRef")):
            changes.remove("parentProjectRef")
        return diff_result(changes, replace_keys=("name", "parentProjectRef", "instanceSize"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client(props)
        parent = self._parent_ref(client, props)
        branch = self._adopt_or_create(client, parent, props)
        ref = branch["project_ref"]
        self._wait_until_ready(client, ref, props)
        return CreateResult(ref, self._outputs(client, props, parent, branch))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self._client(props)
        parent = props.get("parentRef") or self._parent_ref(client, props)
        branch = next((b for b in client.list_branches(parent) if b["project_ref"] == id_), None)
        if branch is None:
            return ReadResult(None, {})
        return ReadResult(id_, self._outputs(client, props, parent, branch))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client(news)
        changes = {
            field: news.get(prop)
            for prop, field in (("gitBranch", "git_branch"), ("persistent", "persistent"))
            if news.get(prop) is not None and news.get(prop) != olds.get(prop)
        }
        if changes:
            client.update_branch(id_, changes)
        parent = olds["parentRef"]
        branch = next(b for b in client.list_branches(parent) if b["project_ref"] == id_)
        return UpdateResult(self._outputs(client, news, parent, branch))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if id_ == props.get("parentRef"):
            raise SupabaseError(f"branch {id_} is the parent project itself; refusing to delete it")
        try:
            self._client(props).delete_branch(id_)
        except SupabaseNotFound:
            return

    # ------------------------------------------------------------------ helpers
    def _client(self, props: dict[str, Any]) -> BranchingClient:
        token = resolve_token(getattr(self, "_configured_token", None))
        return BranchingClient(token, props.get("managementApiUrl") or DEFAULT_API_URL, redactor=Redactor())

    @staticmethod
    def _parent_ref(client: BranchingClient, props: dict[str, Any]) -> str:
        if props.get("parentProjectRef"):
            return str(props["parentProjectRef"])
        org, name = props["organizationSlug"], props["parentName"]
        found = client.find_projects_by_name(org, name)
        if len(found) != 1:
            problem = "no project" if not found else f"{len(found)} projects"
            raise SupabaseError(
                f"the parent of branch {props['name']}: organization {org} has {problem} named {name!r}; deploy "
                "that stack first, or pin supabase.projectRef to the parent's ref"
            )
        return str(found[0]["ref"])

    def _adopt_or_create(self, client: BranchingClient, parent: str, props: dict[str, Any]) -> dict[str, Any]:
        name, cap, persistent = props["name"], int(props["maxConcurrent"]), bool(props.get("persistent"))
        branches = client.list_branches(parent)
        existing = next((b for b in branches if b["name"] == name), None)
        if existing is not None:
            return existing
        previews = [b for b in branches if is_preview(b)]
        if not persistent and len(previews) >= cap:
            raise SupabaseError(cap_message(cap, previews, name))
        body: dict[str, Any] = {"branch_name": name, "persistent": persistent}
        if props.get("gitBranch"):
            body["git_branch"] = props["gitBranch"]
        if props.get("instanceSize"):
            body["desired_instance_size"] = props["instanceSize"]
        created = client.create_branch(parent, body)
        if persistent:
            return created
        # Counted again: of the previews over the cap, the youngest give way (created_at, then ref, decides).
        previews = sorted(
            (b for b in client.list_branches(parent) if is_preview(b)),
            key=lambda b: (str(b.get("created_at") or ""), b["project_ref"]),
        )
        if created["project_ref"] not in [b["project_ref"] for b in previews[:cap]]:
            client.delete_branch(created["project_ref"])
            others = [b for b in previews if b["project_ref"] != created["project_ref"]]
            raise SupabaseError(cap_message(cap, others, name))
        return created

    def _wait_until_ready(self, client: BranchingClient, ref: str, props: dict[str, Any]) -> None:
        timeout = float(props.get("readyTimeoutSeconds") or 900)
        poll = self.env_float("SUPABASE_POLL_INTERVAL_SECONDS", 10.0)
        deadline = time.monotonic() + timeout
        unhealthy: list[str] = []
        while True:
            status = client.get_branch(ref).get("status", "UNKNOWN")
            if status in FAILED_STATUSES:
                raise SupabaseError(
                    f"branch {props['name']} ({ref}) is {status}; delete it (`ops preview down`) and deploy again"
                )
            if status == "ACTIVE_HEALTHY":
                health = client.services_health(ref)
                unhealthy = [s["name"] for s in health if s.get("status") != "ACTIVE_HEALTHY"]
                if not unhealthy:
                    return
            if time.monotonic() >= deadline:
                waiting = f"services {', '.join(unhealthy)} not healthy" if unhealthy else f"status {status}"
                raise SupabaseError(
                    f"branch {props['name']} ({ref}) was not ready after {timeout:g}s ({waiting}). It exists: run "
                    "the deployment again and it will be adopted, or raise supabase.readyTimeoutSeconds"
                )
            time.sleep(poll)

    @staticmethod
    def _outputs(client: BranchingClient, props: dict[str, Any], parent: str, branch: dict[str, Any]) -> dict:
        ref = branch["project_ref"]
        detail = client.get_branch(ref)
        password = str(detail.get("db_pass") or "")
        client.redact.add(password)
        anon, service = pick_api_keys(client.api_keys(ref), ref)
        template = props.get("projectUrlTemplate") or DEFAULT_PROJECT_URL_TEMPLATE
        return {
            **props,
            "ref": ref,
            "branchId": branch["id"],
            "parentRef": parent,
            "projectUrl": template.format(ref=ref),
            "anonKey": anon,
            "serviceRoleKey": service,
            "poolerConnectionString": pooler_url(client.pooler_config(ref), password),
            "databasePassword": password,
            "status": detail.get("status"),
            "createdAt": branch.get("created_at"),
            "maxConcurrent": as_int(props.get("maxConcurrent")),
            "readyTimeoutSeconds": as_int(props.get("readyTimeoutSeconds")),
        }


@dataclass(frozen=True, kw_only=True)
class BranchArgs:
    name: pulumi.Input[str]
    organization_slug: pulumi.Input[str] | None = None
    parent_name: pulumi.Input[str] | None = None
    parent_project_ref: pulumi.Input[str] | None = None
    git_branch: pulumi.Input[str] | None = None
    persistent: bool = False
    instance_size: pulumi.Input[str] | None = None
    max_concurrent: int = 5
    ready_timeout_seconds: int = 900
    management_api_url: pulumi.Input[str] = DEFAULT_API_URL
    project_url_template: str = DEFAULT_PROJECT_URL_TEMPLATE


class Branch(pulumi.dynamic.Resource, module="supabase", name="Branch"):
    ref: pulumi.Output[str]
    parentRef: pulumi.Output[str]
    projectUrl: pulumi.Output[str]
    anonKey: pulumi.Output[str]
    serviceRoleKey: pulumi.Output[str]
    poolerConnectionString: pulumi.Output[str]
    databasePassword: pulumi.Output[str]
    createdAt: pulumi.Output[str]

    def __init__(self, resource_name: str, args: BranchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "organizationSlug": args.organization_slug,
            "parentName": args.parent_name,
            "parentProjectRef": args.parent_project_ref,
            "name": args.name,
            "gitBranch": args.git_branch,
            "persistent": args.persistent,
            "instanceSize": args.instance_size,
            "maxConcurrent": args.max_concurrent,
            "readyTimeoutSeconds": args.ready_timeout_seconds,
            "projectUrlTemplate": args.project_url_template,
            **dict.fromkeys(("ref", "branchId", "parentRef", "projectUrl", "anonKey", "serviceRoleKey")),
            **dict.fromkeys(("poolerConnectionString", "databasePassword", "status", "createdAt")),
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS))
        super().__init__(BranchProvider(), resource_name, props, opts)
