"""The nightly sweep and `ops preview list` against the stand-in, with the real CLI reading an (empty) state
backend: previews of closed pull requests and those past maxAgeHours go, open and young ones, the dev branch and
branches that are not a pull request's stay. No program runs, so this is quick."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

from ops.preview import lifecycle
from ops.preview.workspace import PreviewEngine
from providers.supabase.branching import BranchingClient
from tests.engine.supabase_stack import PROJECT_NAME, PROJECT_ROOT
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def fake_supabase() -> Iterator[FakeSupabase]:
    fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        yield fake
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)


@pytest.fixture
def parent_with_branches(fake_supabase: FakeSupabase, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", TEST_TOKEN)
    parent = fake_supabase.add_project(PROJECT_NAME)
    client = BranchingClient(TEST_TOKEN, fake_supabase.url)
    ages = {"pr-1": 2, "pr-2": 80, "pr-3": 5, "dev": 400, "spike": 100}
    for name, hours in ages.items():
        created = client.create_branch(parent.ref, {"branch_name": name, "persistent": name == "dev"})
        stamp = (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        fake_supabase.branches[created["project_ref"]].created_at = stamp
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.preview.yaml").read_text())
    document["config"]["ai-platform:supabase"].update(
        organizationSlug=fake_supabase.organization, managementApiUrl=fake_supabase.url
    )
    template = tmp_path / "Pulumi.preview.yaml"
    template.write_text(yaml.safe_dump(document))
    return fake_supabase, template


def names(fake: FakeSupabase) -> set[str]:
    return {b.name for b in fake.branches.values() if not b.is_default}


def test_sweep_takes_down_closed_and_old_previews_only(pulumi_cli, parent_with_branches, tmp_path):
    fake, template = parent_with_branches
    engine = PreviewEngine(
        cli=pulumi_cli, backend_url=(tmp_path / "backend").as_uri(), work_root=tmp_path / "work",
        pulumi_home=tmp_path / "home", env={"PULUMI_CONFIG_PASSPHRASE": "sweep-test"},
    )  # fmt: skip
    (tmp_path / "backend").mkdir()
    listed = {p.name: round(p.age_hours) for p in lifecycle.open_previews(template, NOW)}
    assert listed == {"pr-1": 2, "pr-2": 80, "pr-3": 5, "spike": 100}, "dev is persistent: not a preview"

    planned, failed = lifecycle.sweep(engine, {2, 3}, template=template, dry_run=True, now=NOW)
    assert not failed and names(fake) == {"pr-1", "pr-2", "pr-3", "dev", "spike"}
    assert len(planned) == 3 and any(line.startswith("left spike (") for line in planned), planned
    assert any("pr-1: pull request #1 is closed" in line for line in planned)
    assert any("pr-2: 80 h old, past supabaseBranch.maxAgeHours (72)" in line for line in planned)

    done, failed = lifecycle.sweep(engine, {2, 3}, template=template, now=NOW)
    assert not failed, failed
    assert names(fake) == {"pr-3", "dev", "spike"}
    assert any(line.startswith("deleted branch pr-1") and "closed" in line for line in done), done
    assert fake.projects_named(PROJECT_NAME)[0].status == "ACTIVE_HEALTHY"


def test_list_prints_each_open_preview(parent_with_branches):
    _, template = parent_with_branches
    result = subprocess.run(
        [sys.executable, "-m", "ops", "preview", "list", "--template", str(template)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert rows == ["spike", "pr-2", "pr-3", "pr-1"], result.stdout  # oldest first


@dataclass(frozen=True)
class StateOf(PreviewEngine):
    """An engine whose stack state is given (as a pull request's run could have written it)."""

    state: dict[str, Any] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    def export(self, stack: str) -> dict[str, Any] | None:
        return self.state

    def remove(self, stack: str, *, break_lock: bool) -> None:
        self.removed.append(stack)


def test_teardown_sends_the_token_only_to_the_api_mains_template_names(pulumi_cli, parent_with_branches, tmp_path):
    fake, template = parent_with_branches
    elsewhere = FakeSupabase(token=TEST_TOKEN).start()  # where a pull request's state would send the token
    try:
        [branch] = [b for b in fake.branches.values() if b.name == "pr-1"]
        outputs = {"ref": branch.project_ref, "parentRef": branch.parent_project_ref, "managementApiUrl": elsewhere.url}
        state = {"deployment": {"resources": [{"type": "pulumi-python:dynamic/supabase:Branch", "outputs": outputs}]}}
        engine = StateOf(cli=pulumi_cli, backend_url="file:///unused", work_root=tmp_path, state=state)
        done = lifecycle.down(engine, 1, template=template)
    finally:
        elsewhere.stop()
    assert done[0] == f"deleted branch pr-1 ({branch.project_ref})"
    assert "pr-1" not in names(fake) and elsewhere.calls == []


def test_a_swept_previews_stack_is_dropped_before_its_next_up(pulumi_cli, parent_with_branches, tmp_path):
    """Its state would point every resource at a branch that no longer exists; a live branch keeps its stack."""
    fake, template = parent_with_branches
    [live] = [b for b in fake.branches.values() if b.name == "pr-3"]

    def state(ref: str) -> dict[str, Any]:
        outputs = {"ref": ref, "parentRef": live.parent_project_ref}
        return {"deployment": {"resources": [{"type": "pulumi-python:dynamic/supabase:Branch", "outputs": outputs}]}}

    swept = StateOf(cli=pulumi_cli, backend_url="file:///unused", work_root=tmp_path, state=state("a" * 20))
    lifecycle.forget_a_deleted_branch(swept, "pr-9", template, break_lock=False)
    assert swept.removed == ["pr-9"]
    kept = StateOf(cli=pulumi_cli, backend_url="file:///unused", work_root=tmp_path, state=state(live.project_ref))
    lifecycle.forget_a_deleted_branch(kept, "pr-3", template, break_lock=False)
    assert kept.removed == []
