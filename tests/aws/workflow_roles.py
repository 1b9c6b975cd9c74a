"""What each GitHub workflow job presents to AWS: the OIDC subject GitHub signs for it, and the role secrets
its `configure-aws-credentials` step assumes. Read from the workflow files, the way GitHub builds the token:
a job with `environment:` gets `repo:<repo>:environment:<name>`, a pull request `repo:<repo>:pull_request`,
anything else the ref it runs on (`schedule` and `workflow_dispatch` run on the default branch)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"
DEFAULT_BRANCH = "main"
_SECRET = re.compile(r"secrets(?:\.([A-Z0-9_]+)|\[matrix\.([a-z_]+)\])")
_MATRIX = re.compile(r"\$\{\{\s*matrix\.([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class RoleUse:
    workflow: str
    job: str
    matrix: dict[str, Any]
    subject: str
    # The secrets `role-to-assume` reads, in order: `a || b` means b is the fallback when a is unset.
    secrets: tuple[str, ...]
    id_token_write: bool

    @property
    def where(self) -> str:
        entry = f" {self.matrix}" if self.matrix else ""
        return f"{self.workflow} job {self.job}{entry} ({self.subject})"


def load_workflow(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def trigger_subjects(repository: str, on: Any) -> list[str]:
    events = {on: None} if isinstance(on, str) else dict.fromkeys(on) if isinstance(on, list) else dict(on)
    subjects: list[str] = []
    for event, settings in events.items():
        if event in ("pull_request", "pull_request_target"):
            subjects.append(f"repo:{repository}:pull_request")
        elif event == "push":
            branches = (settings or {}).get("branches")
            if not branches or any("*" in b for b in branches):
                raise AssertionError(f"push without an exact branch list ({branches!r}): the token's ref is unknown")
            subjects += [f"repo:{repository}:ref:refs/heads/{b}" for b in branches]
        elif event in ("schedule", "workflow_dispatch"):
            subjects.append(f"repo:{repository}:ref:refs/heads/{DEFAULT_BRANCH}")
        else:  # workflow_call among them: the caller's subject would apply, which this file cannot see
            raise AssertionError(f"event {event!r}: teach workflow_roles.py which subject GitHub signs for it")
    return sorted(set(subjects))


def _substitute(text: str, entry: dict[str, Any]) -> str:
    return _MATRIX.sub(lambda m: str(entry[m.group(1)]), text)


def role_uses(workflow_file: Path, repository: str) -> Iterator[RoleUse]:
    workflow = load_workflow(workflow_file)
    for job_name, job in workflow["jobs"].items():
        steps = [s for s in job.get("steps", []) if str(s.get("uses", "")).startswith(CONFIGURE_AWS)]
        if not steps:
            continue
        permissions = job.get("permissions", workflow.get("permissions", {}))
        id_token = isinstance(permissions, dict) and permissions.get("id-token") == "write"
        entries = job.get("strategy", {}).get("matrix", {}).get("include") or [{}]
        for entry in entries:
            environment = job.get("environment")
            if isinstance(environment, dict):
                environment = environment.get("name")
            subjects = (
                [f"repo:{repository}:environment:{_substitute(str(environment), entry)}"]
                if environment
                else trigger_subjects(repository, workflow["on"])
            )
            for step in steps:
                expression = str(step["with"]["role-to-assume"])
                secrets = tuple(name or entry[key] for name, key in _SECRET.findall(expression))
                assert secrets, f"{workflow_file.name} job {job_name}: role-to-assume reads no secret"
                for subject in subjects:
                    yield RoleUse(workflow_file.name, job_name, entry, subject, secrets, id_token)


def untrusted(uses: list[RoleUse], trusted_by_secret: dict[str, set[str]]) -> list[str]:
    """Every job that would be refused its role: for each secret it may read, the role the program registers
    under that secret must trust the job's subject. A secret the program registers no role for is an optional
    override and needs a fallback the program does register."""
    problems: list[str] = []
    for use in uses:
        if not use.id_token_write:
            problems.append(f"{use.where}: no `id-token: write` permission, so GitHub issues no OIDC token")
        registered = [s for s in use.secrets if s in trusted_by_secret]
        if not registered:
            problems.append(f"{use.where}: none of {list(use.secrets)} is a role the program registers")
        for secret in registered:
            if use.subject not in trusted_by_secret[secret]:
                problems.append(f"{use.where}: {secret} trusts only {sorted(trusted_by_secret[secret])}")
    return problems
