"""The preview-env workflow: what triggers it, who gets secrets (never a fork), and the close path that tears a
preview down from state with main's code. The commands it runs are parsed by the operator CLI's own parser."""

from __future__ import annotations

import re
import shlex

from ops.cli import build_parser
from tests.ops.test_workflows import load

FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
# What the runner's shell puts in place of the variables the commands use.
SAMPLE_VALUES = {"PR": "42", "HEAD_REF": "feature/x", "RUNNER_TEMP": "/tmp", "open_prs": "41 42"}


def ops_commands(job: dict) -> list[list[str]]:
    """The `python -m ops ...` lines of a job, as argv after `-m ops` (line continuations joined)."""
    found = []
    for step in job["steps"]:
        script = str(step.get("run", "")).replace("\\\n", " ")
        for line in script.splitlines():
            if "-m ops " in line:
                expanded = re.sub(r"\$\{(\w+)\}", lambda m: SAMPLE_VALUES[m.group(1)], line.strip())
                argv = shlex.split(expanded)
                found.append(argv[argv.index("ops") + 1 :])
    return found


def test_triggers_are_the_pull_requests_events_and_a_nightly_sweep_never_pull_request_target():
    workflow = load("preview-env.yml")
    assert set(workflow["on"]["pull_request"]["types"]) == {"opened", "reopened", "synchronize", "closed"}
    assert workflow["on"]["schedule"] and "pull_request_target" not in workflow["on"]
    concurrency = workflow["concurrency"]
    assert "github.event.pull_request.number" in concurrency["group"]
    assert "pull_request" in concurrency["cancel-in-progress"]


def test_no_secret_outside_jobs_that_forks_never_run():
    workflow = load("preview-env.yml")
    assert "secrets." not in str(workflow.get("env", {})), "workflow-level env would hand secrets to every job"
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        condition = " ".join(job["if"].split())
        if "pull_request" in condition:
            assert FORK_GUARD in condition, f"job {name} runs for forks' pull requests"
        else:
            assert "github.event_name == 'schedule'" in condition, f"job {name}: neither guarded nor scheduled"


def test_push_brings_the_preview_up_and_posts_its_outputs():
    job = load("preview-env.yml")["jobs"]["up"]
    assert "github.event.action != 'closed'" in job["if"]
    [argv] = ops_commands(job)
    args = build_parser().parse_args(argv)
    assert (args.command, args.action, args.break_lock) == ("preview", "up", True)
    assert args.comment_file is not None
    assert any("<!-- preview-env -->" in str(step.get("run", "")) for step in job["steps"])
    assert job["permissions"]["pull-requests"] == "write"


def test_close_tears_down_from_state_with_mains_code():
    job = load("preview-env.yml")["jobs"]["down"]
    assert "github.event.action == 'closed'" in job["if"]
    [checkout] = [step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/checkout@")]
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"
    [argv] = ops_commands(job)
    args = build_parser().parse_args(argv)
    assert (args.command, args.action) == ("preview", "down")
    scripts = " ".join(str(step.get("run", "")) for step in job["steps"])
    assert "pulumi up" not in scripts and "pulumi destroy" not in scripts, "the close path never runs the program"


def test_nightly_sweep_passes_the_open_pull_requests():
    job = load("preview-env.yml")["jobs"]["sweep"]
    script = " ".join(str(step.get("run", "")) for step in job["steps"])
    assert "gh pr list --state open" in script
    [argv] = ops_commands(job)
    args = build_parser().parse_args(argv)
    assert (args.command, args.action) == ("preview", "sweep")
