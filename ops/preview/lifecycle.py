"""What `ops preview` does, and the preview-env workflow through it: up, down (from state alone), list, sweep.

down never runs the program: it reads the branch's ref from the stack's state, deletes the branch through the
Management API, then drops the stack (`pulumi stack rm --force`). Everything a preview creates lives inside its
branch (the program refuses AWS and Stripe parts in a preview), so that is the whole teardown, and it works when
the pull request's code no longer builds. A stack whose state is gone is found by its branch's name instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from ops.preview.cost import CostEstimate, estimate
from ops.preview.stackfile import TEMPLATE, PreviewError, preview_config, stack_name, template_section
from ops.preview.workspace import PreviewEngine, branch_in_state
from providers.supabase.branch import is_preview
from providers.supabase.branching import BranchingClient
from providers.supabase.client import DEFAULT_API_URL, resolve_token
from providers.supabase.errors import SupabaseError, SupabaseNotFound

PR_BRANCH_PREFIX = "pr-"


@dataclass(frozen=True)
class PreviewUp:
    stack: str
    outputs: dict[str, Any]
    cost: CostEstimate


@dataclass(frozen=True)
class OpenPreview:
    name: str
    ref: str
    created_at: str
    age_hours: float
    status: str | None

    @property
    def pr(self) -> int | None:
        number = self.name.removeprefix(PR_BRANCH_PREFIX)
        return int(number) if self.name.startswith(PR_BRANCH_PREFIX) and number.isdigit() else None


def up(
    engine: PreviewEngine,
    pr: int,
    *,
    git_branch: str | None = None,
    secrets: Mapping[str, Any] | None = None,
    template: Path = TEMPLATE,
    break_lock: bool = False,
    on_output: Callable[[str], None] | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> PreviewUp:
    stack_id = stack_name(pr)
    config = preview_config(pr, git_branch, template)
    forget_a_deleted_branch(engine, stack_id, template, break_lock=break_lock)
    stack = engine.open(stack_id, config, secrets or {})
    if break_lock:
        engine.run(stack_id, "cancel", "--yes")  # a run the workflow cancelled may have left its lock
    try:
        result = stack.up(on_output=on_output, on_event=on_event, color="never")
    except auto.CommandError as exc:
        raise PreviewError(f"`pulumi up` of {stack_id} failed: {engine_errors(str(exc))}") from None
    branch = config["ai-platform:supabaseBranch"]
    outputs = {key: value.value for key, value in result.outputs.items() if not value.secret}
    return PreviewUp(stack_id, outputs, estimate(branch.get("instanceSize"), int(branch.get("maxAgeHours", 72))))


def down(engine: PreviewEngine, pr: int, *, template: Path = TEMPLATE, break_lock: bool = False) -> list[str]:
    """Deletes the preview's branch and drops its stack, from state alone; returns what it did."""
    stack_id = stack_name(pr)
    done: list[str] = []
    state = engine.export(stack_id)
    branch = branch_in_state(state)
    if branch is not None:
        # The API URL of main's template, not the state's: a pull request wrote that state, and the token goes there.
        client = _client(template_section("supabase", template).get("managementApiUrl"))
        _delete(client, branch["ref"], branch.get("parentRef"), done, stack_id)
    else:
        client, parent = _parent(template)
        found = [b for b in client.list_branches(parent) if b["name"] == stack_id and is_preview(b)]
        for listed in found:
            _delete(client, listed["project_ref"], parent, done, stack_id)
        if not found:
            done.append(f"no branch {stack_id} (nothing to delete)")
    if state is not None:
        engine.remove(stack_id, break_lock=break_lock)
        done.append(f"removed stack {stack_id} and its state")
    return done


def open_previews(template: Path = TEMPLATE, now: datetime | None = None) -> list[OpenPreview]:
    client, parent = _parent(template)
    now = now or datetime.now(UTC)
    found = []
    for branch in client.list_branches(parent):
        if not is_preview(branch):
            continue
        created = datetime.fromisoformat(str(branch["created_at"]).replace("Z", "+00:00"))
        found.append(
            OpenPreview(
                name=branch["name"],
                ref=branch["project_ref"],
                created_at=str(branch["created_at"]),
                age_hours=(now - created).total_seconds() / 3600,
                status=branch.get("preview_project_status"),
            )
        )
    return sorted(found, key=lambda p: p.created_at)


def sweep(
    engine: PreviewEngine,
    open_prs: set[int],
    *,
    template: Path = TEMPLATE,
    dry_run: bool = False,
    now: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """The nightly job: previews whose pull request is closed, and previews past maxAgeHours, are taken down.
    Returns what was done and what failed (the others are still taken down)."""
    max_age = int(template_section("supabaseBranch", template).get("maxAgeHours", 72))
    done: list[str] = []
    failed: list[str] = []
    for preview in open_previews(template, now):
        if preview.pr is None:
            done.append(f"left {preview.name} ({preview.ref}): not a pull request's preview")
            continue
        if preview.pr not in open_prs:
            reason = f"pull request #{preview.pr} is closed"
        elif preview.age_hours > max_age:
            reason = f"{preview.age_hours:.0f} h old, past supabaseBranch.maxAgeHours ({max_age}); its next push brings it back"
        else:
            continue
        if dry_run:
            done.append(f"would take down {preview.name}: {reason}")
            continue
        # No --break-lock: a push may be bringing this very preview up right now (its lock says so).
        try:
            done += [f"{line} ({reason})" for line in down(engine, preview.pr, template=template)]
        except (PreviewError, SupabaseError) as exc:
            failed.append(f"{preview.name}: {exc}")
    return done, failed


def forget_a_deleted_branch(engine: PreviewEngine, stack_id: str, template: Path, *, break_lock: bool) -> None:
    """A stack whose branch is gone (swept for its age, deleted by hand) starts afresh: its state would point every
    resource at a project that no longer exists."""
    branch = branch_in_state(engine.export(stack_id))
    if branch is None:
        return
    try:
        _client(template_section("supabase", template).get("managementApiUrl")).get_branch(branch["ref"])
    except SupabaseNotFound:
        engine.remove(stack_id, break_lock=break_lock)


def engine_errors(text: str) -> str:
    """The engine's diagnostics (the provider's or the program's message among them), without its progress."""
    if "Diagnostics:" in text:
        section = text.split("Diagnostics:", 1)[1]
        for end in ("\nOutputs:", "\nResources:", "\nDuration:", "\n  stderr:"):
            section = section.split(end, 1)[0]
        lines = [line.rstrip() for line in section.splitlines() if line.strip()]
        return "\n".join(dict.fromkeys(lines))[-3000:]
    lines = [line.strip() for line in text.splitlines() if "error:" in line or "refused" in line]
    return "\n".join(dict.fromkeys(lines)) or text.strip()[-1500:]


def _client(api_url: str | None) -> BranchingClient:
    return BranchingClient(resolve_token(None), api_url or DEFAULT_API_URL)


def _parent(template: Path) -> tuple[BranchingClient, str]:
    """The previews' parent project, as the template names it."""
    supabase = template_section("supabase", template)
    client = _client(supabase.get("managementApiUrl"))
    if supabase.get("projectRef"):
        return client, str(supabase["projectRef"])
    org, name = supabase.get("organizationSlug"), supabase.get("projectName")
    found = client.find_projects_by_name(str(org), str(name))
    if len(found) != 1:
        raise PreviewError(
            f"{template.name}: organization {org} has {len(found)} projects named {name!r}; pin supabase.projectRef"
        )
    return client, str(found[0]["ref"])


def _delete(client: BranchingClient, ref: str, parent: str | None, done: list[str], name: str) -> None:
    if ref == parent:
        raise SupabaseError(f"{name}: the state names the parent project {ref} as the branch; refusing to delete it")
    try:
        client.delete_branch(ref)
        done.append(f"deleted branch {name} ({ref})")
    except SupabaseNotFound:
        done.append(f"branch {name} ({ref}) was already gone")
