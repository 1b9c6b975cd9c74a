"""A stack of this project under the real engine: file backend, passphrase secrets, __main__.py inline.

The program runs as an Automation API inline program: the Python SDK serves the language runtime itself,
so the CLI needs no `pulumi-language-python` plugin (the Go module proxy serves none). The engine starts
the dynamic providers through `pulumi-resource-pulumi-python`, with this virtualenv and the project on
PYTHONPATH, exactly as it does under `pulumi up`.

The engine works in `<state_dir>/work`: a copy of Pulumi.yaml and the stack's Pulumi.<stack>.yaml with the
caller's overrides, so nothing in the checkout is written (a passphrase stack writes its encryption salt and
every `config set --secret` into its stack file). The salt is kept from one run to the next.
"""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

from ops.engine.cli import PulumiCli
from stackconfig.paths import PROJECT_ROOT

PROJECT_NAME = "ai-platform"


@dataclass(frozen=True)
class EngineSettings:
    """Where a stack's engine state lives and what the engine and its provider host are given.

    state_dir holds backend/ (the file backend's checkpoints), home/ (PULUMI_HOME) and work/ (the project
    and stack files). env is added to the CLI's environment, which the dynamic providers inherit."""

    cli: PulumiCli
    state_dir: Path
    passphrase: str
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def backend_url(self) -> str:
        return (self.state_dir / "backend").as_uri()

    def cli_env(self) -> dict[str, str]:
        virtualenv = Path(sys.prefix)
        path = [str(self.cli.bin_dir), str(virtualenv / "bin"), os.environ.get("PATH", "")]
        env = {
            "PULUMI_BACKEND_URL": self.backend_url,
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            # Nothing is downloaded while a stack runs: every plugin it needs is already here.
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PATH": os.pathsep.join(filter(None, path)),
            # The dynamic providers are pickled by reference to their modules: the host imports them from here.
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])),
            **self.env,
        }
        if sys.prefix != sys.base_prefix:  # the shim runs this virtualenv's python, as the language host would
            env["PULUMI_RUNTIME_VIRTUALENV"] = str(virtualenv)
        return env


def run_main() -> None:
    """The inline program: __main__.py, as `pulumi up` runs it."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__")


def open_stack(
    stack: str,
    settings: EngineSettings,
    *,
    config: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
) -> auto.Stack:
    """Creates or selects `stack` with Pulumi.<stack>.yaml plus `config` (short keys, plain values) and
    `secrets` (short keys; a mapping is set leaf by leaf with `--path`, as the README tells operators)."""
    work = prepare_work_dir(stack, settings.state_dir, config or {})

    workspace = auto.LocalWorkspace(
        work_dir=str(work),
        pulumi_home=str(settings.state_dir / "home"),
        program=run_main,
        env_vars=settings.cli_env(),
        secrets_provider="passphrase",
        pulumi_command=auto.PulumiCommand(root=str(settings.cli.bin_dir.parent)),
    )
    selected = auto.Stack.create_or_select(stack, workspace)
    leaves = {key: value for name, value in (secrets or {}).items() for key, value in _leaves(name, value)}
    if leaves:
        selected.set_all_config({k: auto.ConfigValue(v, secret=True) for k, v in leaves.items()}, path=True)
    return selected


def prepare_work_dir(stack: str, state_dir: Path, config: Mapping[str, Any]) -> Path:
    """<state_dir>/work with Pulumi.yaml and Pulumi.<stack>.yaml (plus `config`, keeping its salt); the plain CLI
    reads the same stack file through --config-file (ops/engine/plain.py)."""
    work = state_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    (state_dir / "backend").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_ROOT / "Pulumi.yaml", work / "Pulumi.yaml")
    _write_stack_file(stack, work, config)
    return work


def _write_stack_file(stack: str, work: Path, overrides: Mapping[str, Any]) -> None:
    source = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    target_file = work / f"Pulumi.{stack}.yaml"
    previous = (yaml.safe_load(target_file.read_text()) or {}) if target_file.exists() else {}
    document: dict[str, Any] = {"config": dict(source.get("config") or {})}
    for key, value in overrides.items():
        document["config"][key if ":" in key else f"{PROJECT_NAME}:{key}"] = value
    if "encryptionsalt" in previous:
        document["encryptionsalt"] = previous["encryptionsalt"]
    target_file.write_text(yaml.safe_dump(document, sort_keys=False))


def _leaves(name: str, value: Any) -> list[tuple[str, str]]:
    key = name if ":" in name else f"{PROJECT_NAME}:{name}"
    if isinstance(value, Mapping):
        return [(f"{key}.{leaf}", str(inner)) for leaf, inner in value.items()]
    return [(key, str(value))]
