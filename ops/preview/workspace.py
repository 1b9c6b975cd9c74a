"""A preview stack under the engine, on any backend (PULUMI_BACKEND_URL: a bucket in CI, a folder on a laptop),
and the CLI commands that work from its state alone (export, cancel, stack rm), which never run the program.

Each stack's work dir (<work root>/pr-<N>) holds a copy of Pulumi.yaml and the stack's config file. A CI runner
starts without it, so the passphrase salt is taken back from the stack's state (a passphrase stack keeps it in
both), and every run writes the config afresh from the template.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from ops.engine.cli import PulumiCli
from ops.engine.workspace import run_main
from ops.preview.stackfile import PROJECT, PreviewError
from stackconfig.paths import PROJECT_ROOT

BRANCH_TYPE = "pulumi-python:dynamic/supabase:Branch"


@dataclass(frozen=True)
class PreviewEngine:
    cli: PulumiCli
    backend_url: str
    work_root: Path
    pulumi_home: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)  # added to the CLI's (the providers inherit it)

    def cli_env(self) -> dict[str, str]:
        virtualenv = Path(sys.prefix)
        path = [str(self.cli.bin_dir), str(virtualenv / "bin"), os.environ.get("PATH", "")]
        env = {
            "PULUMI_BACKEND_URL": self.backend_url,
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PATH": os.pathsep.join(filter(None, path)),
            # The dynamic providers are pickled by reference to their modules: the host imports them from here.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])),
            **self.env,
        }
        if sys.prefix != sys.base_prefix:
            env["PULUMI_RUNTIME_VIRTUALENV"] = str(virtualenv)
        if self.pulumi_home is not None:
            env["PULUMI_HOME"] = str(self.pulumi_home)
        return env

    def work_dir(self, stack: str) -> Path:
        work = self.work_root / stack
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / "Pulumi.yaml", work / "Pulumi.yaml")
        return work

    def open(self, stack: str, config: Mapping[str, Any], secrets: Mapping[str, Any]) -> auto.Stack:
        """The stack with exactly `config` (full keys) and `secrets` (short keys; a mapping leaf by leaf)."""
        work = self.work_dir(stack)
        stack_file = work / f"Pulumi.{stack}.yaml"
        previous = (yaml.safe_load(stack_file.read_text()) or {}) if stack_file.exists() else {}
        document: dict[str, Any] = {"config": dict(config)}
        salt = previous.get("encryptionsalt") or _salt(self.export(stack))
        if salt:
            document["encryptionsalt"] = salt
        stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
        workspace = auto.LocalWorkspace(
            work_dir=str(work),
            pulumi_home=str(self.pulumi_home) if self.pulumi_home else None,
            program=run_main,
            env_vars=self.cli_env(),
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(self.cli.bin_dir.parent)),
        )
        selected = auto.Stack.create_or_select(stack, workspace)
        leaves = {
            (f"{PROJECT}:{name}.{leaf}" if isinstance(value, Mapping) else f"{PROJECT}:{name}"): str(inner)
            for name, value in secrets.items()
            for leaf, inner in (value.items() if isinstance(value, Mapping) else [("", value)])
        }
        if leaves:
            selected.set_all_config({k: auto.ConfigValue(v, secret=True) for k, v in leaves.items()}, path=True)
        return selected

    def run(self, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
        """`pulumi <args> --stack <stack>` in the stack's work dir: commands that read or drop state only."""
        return subprocess.run(
            [str(self.cli.executable), *args, "--stack", stack, "--non-interactive"],
            cwd=self.work_dir(stack), env={**os.environ, **self.cli_env()}, capture_output=True, text=True,
            check=False,
        )  # fmt: skip

    def export(self, stack: str) -> dict[str, Any] | None:
        """The stack's state (secrets stay encrypted), or None when the backend has no such stack."""
        result = self.run(stack, "stack", "export")
        if result.returncode != 0:
            if "no stack named" in result.stderr or "not found" in result.stderr:
                return None
            raise PreviewError(f"`pulumi stack export --stack {stack}` failed: {result.stderr.strip()[-600:]}")
        return json.loads(result.stdout)

    def stacks(self) -> list[str]:
        result = subprocess.run(
            [str(self.cli.executable), "stack", "ls", "--json", "--non-interactive"],
            cwd=self.work_dir("_list"), env={**os.environ, **self.cli_env()}, capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise PreviewError(f"`pulumi stack ls` failed: {result.stderr.strip()[-600:]}")
        return [str(entry["name"]).rsplit("/", 1)[-1] for entry in json.loads(result.stdout or "[]")]

    def remove(self, stack: str, *, break_lock: bool) -> None:
        """Drops the stack and its state. break_lock: first clear a lock a cancelled run left (CI serialises each
        pull request's runs, so no other run can hold it)."""
        if break_lock:
            self.run(stack, "cancel", "--yes")
        result = self.run(stack, "stack", "rm", "--force", "--yes")
        if result.returncode != 0:
            raise PreviewError(f"`pulumi stack rm --stack {stack}` failed: {result.stderr.strip()[-600:]}")


def branch_in_state(state: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The Branch resource's outputs in an exported state: its ref, parent ref and the API it lives behind."""
    resources = ((state or {}).get("deployment") or {}).get("resources") or []
    for resource in resources:
        if resource.get("type") == BRANCH_TYPE and resource.get("outputs", {}).get("ref"):
            return dict(resource["outputs"])
    return None


def _salt(state: Mapping[str, Any] | None) -> str | None:
    provider = ((state or {}).get("deployment") or {}).get("secrets_providers") or {}
    if provider.get("type") != "passphrase":
        return None
    salt = (provider.get("state") or {}).get("salt")
    return str(salt) if salt else None
