"""The plain Pulumi CLI, as operators type it (`pulumi up --stack local`), run as a subprocess in the checkout.

It needs a Python language host beside the CLI or on PATH: Pulumi's installer ships one, and `make install`
builds a pinned fallback into .tools/bin (tools/pulumi/language-python). `make local` uses this path when there
is one, and the Automation API (ops/engine/workspace.py) when there is not.

The local stack's state stays where the Automation API path keeps it, so either path can follow the other:
`.local/pulumi/backend` (file backend), `.local/pulumi/passphrase`, and `.local/pulumi/work/Pulumi.local.yaml`,
the stack's config with its encryption salt. The CLI reads that file through `--config-file`: a passphrase stack
writes its salt (and every `config set --secret`) into its stack file, which must not be the committed one.
`.local/pulumi/env.sh` sets the same environment for an operator's shell. No virtualenv needs to be active.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ops.engine.cli import PulumiCli

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
LANGUAGE_HOST = "pulumi-language-python"


def language_host(cli: PulumiCli) -> Path | None:
    """The Python language host the CLI will use: beside it (bundled, or built by `make install`), else on PATH."""
    beside = cli.bin_dir / LANGUAGE_HOST
    if beside.exists():
        return beside
    found = shutil.which(LANGUAGE_HOST)
    return Path(found) if found else None


@dataclass(frozen=True)
class PlainCli:
    """`pulumi <args>` with a file backend, the passphrase in a file, and the stack's config file."""

    cli: PulumiCli
    backend_url: str
    passphrase_file: Path | None = None  # None: PULUMI_CONFIG_PASSPHRASE(_FILE) from the caller's environment
    config_file: Path | None = None
    cwd: Path = PROJECT_ROOT
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        # No virtualenv needs to be active: the language host finds .venv from Pulumi.yaml (the fallback built by
        # `make install` through its wrapper script), and the engine hands it to the provider host.
        path = [str(self.cli.bin_dir), os.environ.get("PATH", "")]
        env = {
            **os.environ,
            "PATH": os.pathsep.join(filter(None, path)),
            "PULUMI_BACKEND_URL": self.backend_url,
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            **self.extra_env,
        }
        if self.passphrase_file is not None:
            env.pop("PULUMI_CONFIG_PASSPHRASE", None)  # the file is this stack's; a variable would win over it
            env["PULUMI_CONFIG_PASSPHRASE_FILE"] = str(self.passphrase_file)
        return env

    def command(self, *args: str, stack: str, config: bool = False) -> list[str]:
        """The command line; `config=True` adds --config-file (up, preview, refresh, destroy, config take it)."""
        line = [str(self.cli.executable), *args, "--stack", stack, "--non-interactive"]
        if config and self.config_file is not None:
            line += ["--config-file", str(self.config_file)]
        return line

    def run(
        self, *args: str, stack: str, config: bool = False, capture: bool = False, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args, stack=stack, config=config),
            cwd=cwd or self.cwd,
            env=self.env(),
            text=True,
            capture_output=capture,
            check=False,
        )

    def shell_exports(self) -> str:
        """What `. .local/pulumi/env.sh` sets: the same environment, for an operator's own `pulumi` commands."""
        env = self.env()
        names = ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_SKIP_UPDATE_CHECK")
        lines = ["# Written by `make local`: the environment of the local stack's plain `pulumi` commands."]
        lines += [f"export {name}={shlex.quote(env[name])}" for name in names if name in env]
        lines.append(f'export PATH={shlex.quote(str(self.cli.bin_dir))}"{os.pathsep}$PATH"')
        return "\n".join(lines) + "\n"


def missing_host_reason() -> str:
    return (
        f"the Pulumi CLI has no Python language host ({LANGUAGE_HOST}) beside it or on PATH; `make install` "
        "builds one into .tools/bin when Go is installed (tools/pulumi/build.sh)"
    )


def ensure_stack(plain: PlainCli, stack: str, work_dir: Path) -> subprocess.CompletedProcess[str]:
    """`pulumi stack select --create` in work_dir, so the new salt is written into work_dir's stack file."""
    return plain.run(
        "stack", "select", "--create", "--secrets-provider", "passphrase", stack=stack, capture=True, cwd=work_dir
    )
