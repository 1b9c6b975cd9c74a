"""Where the Pulumi CLI is: a `pulumi` on PATH at least as new as the Python SDK, else the one `make install`
built into .tools/bin (tools/pulumi/build.sh). None when there is neither: callers fall back or skip."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from stackconfig.paths import PROJECT_ROOT

TOOLS_BIN = PROJECT_ROOT / ".tools" / "bin"
DYNAMIC_PROVIDER_SHIM = "pulumi-resource-pulumi-python"


@dataclass(frozen=True)
class PulumiCli:
    """A usable CLI: `bin_dir/pulumi` with the dynamic-provider shim beside it or on PATH."""

    bin_dir: Path
    version: str

    @property
    def executable(self) -> Path:
        return self.bin_dir / "pulumi"


def sdk_version() -> tuple[int, ...]:
    from importlib.metadata import version

    return _numbers(version("pulumi"))


def find_cli() -> PulumiCli | None:
    for candidate in _candidates():
        found = _version_of(candidate)
        if found is None or _numbers(found) < sdk_version():
            continue
        if (candidate.parent / DYNAMIC_PROVIDER_SHIM).exists() or shutil.which(DYNAMIC_PROVIDER_SHIM):
            return PulumiCli(candidate.parent, found)
    return None


def missing_reason() -> str:
    wanted = ".".join(map(str, sdk_version()))
    return (
        f"no Pulumi CLI >= {wanted} with {DYNAMIC_PROVIDER_SHIM}: `make install` builds one into .tools/bin when "
        "Go is installed (tools/pulumi/build.sh)"
    )


def _candidates() -> list[Path]:
    on_path = shutil.which("pulumi")
    candidates = [Path(on_path)] if on_path else []
    built = TOOLS_BIN / "pulumi"
    if built.exists() and built not in candidates:
        candidates.append(built)
    return candidates


def _version_of(executable: Path) -> str | None:
    try:
        result = subprocess.run(
            [str(executable), "version"], capture_output=True, text=True, timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "1"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.match(r"v?(\d+\.\d+\.\d+)", result.stdout.strip())
    return match.group(1) if result.returncode == 0 and match else None


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])
