"""A copy of the checkout that the plain `pulumi` CLI runs in, as an operator's clone would be: the project and
stack files, the program and what it imports, the migrations and functions, the operator CLI, and the virtualenv
(linked). Each test gets its own copy, file backend, PULUMI_HOME and passphrase; nothing of the real checkout is
written (a passphrase stack writes its salt into its stack file)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ops.engine import PulumiCli
from ops.engine.plain import language_host

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COPIED_DIRS = ("components", "providers", "dbmigrate", "stackconfig", "sql", "functions", "ops")
COPIED_FILES = ("Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "__main__.py")
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


def copy_checkout(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in COPIED_FILES:
        shutil.copy(PROJECT_ROOT / name, target / name)
    for name in COPIED_DIRS:
        shutil.copytree(PROJECT_ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*_test.ts"))
    # Pulumi.yaml's runtime.options.virtualenv (.venv), as `make install` leaves it in a clone.
    (target / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    return target


@dataclass
class PlainCheckout:
    """`run("up", "--yes")` is `pulumi up --yes --stack <stack> --non-interactive` in the copy."""

    cli: PulumiCli
    root: Path
    stack: str
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        cli: PulumiCli,
        tmp_path: Path,
        stack: str,
        extra_env: Mapping[str, str] | None = None,
    ) -> PlainCheckout:
        root = copy_checkout(tmp_path / "checkout")
        host = language_host(cli)
        host_dir = [str(host.parent)] if host is not None and host.parent != cli.bin_dir else []
        # No virtualenv is active, as in a fresh shell: the language host finds .venv from Pulumi.yaml itself.
        env = {
            "HOME": str(tmp_path),
            "PATH": os.pathsep.join([str(cli.bin_dir), *host_dir, SYSTEM_PATH]),
            "PULUMI_HOME": str(tmp_path / "pulumi-home"),
            "PULUMI_BACKEND_URL": (tmp_path / "backend").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(16),
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            **(extra_env or {}),
        }
        (tmp_path / "backend").mkdir()
        return cls(cli, root, stack, env)

    @property
    def backend(self) -> Path:
        return Path(self.env["PULUMI_BACKEND_URL"].removeprefix("file://"))

    def run(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert result.returncode == 0, f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def ops(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """The copy's own operator CLI, `python -m ops ...`, from the copy (so it works on the copy's files)."""
        return subprocess.run(
            [sys.executable, "-m", "ops", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
