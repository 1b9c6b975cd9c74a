"""tools/pulumi/build.sh, the step of `make install` that finds or builds the CLI: which CLI it takes, that a
built one at the pinned version is not built again, and what it says with neither a CLI nor Go. Runs the
script from a copy of the project's files with a PATH of stand-in `pulumi` scripts (no build happens)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PATH = "/usr/bin:/bin"  # sh, sed, sort, ...: no Go (/usr/local/go/bin) and no pulumi


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    shutil.copytree(PROJECT_ROOT / "tools" / "pulumi", root / "tools" / "pulumi")
    shutil.copy(PROJECT_ROOT / "requirements.txt", root / "requirements.txt")
    return root


def stand_in_cli(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pulumi"
    script.write_text(f"#!/bin/sh\necho {version}\n")
    script.chmod(0o755)
    return folder


def build(checkout: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(checkout / "tools" / "pulumi" / "build.sh")],
        capture_output=True,
        text=True,
        env={"PATH": path, "HOME": str(checkout)},
        timeout=60,
        check=False,
    )


def test_with_neither_a_cli_nor_go_it_says_so_and_does_not_fail(checkout):
    result = build(checkout, SYSTEM_PATH)
    assert result.returncode == 0, result.stderr
    assert "no Pulumi CLI" in result.stdout and "no Go" in result.stdout and "engine tests will skip" in result.stdout
    assert not (checkout / ".tools" / "bin" / "pulumi").exists()


def test_a_new_enough_cli_on_path_is_used_as_it_is(checkout, tmp_path):
    path = stand_in_cli(tmp_path / "installed", "v9.0.0")
    result = build(checkout, f"{path}:{SYSTEM_PATH}")
    assert result.returncode == 0 and f"using {path}/pulumi (v9.0.0" in result.stdout, result.stdout + result.stderr


def test_an_older_cli_on_path_is_not_used(checkout, tmp_path):
    path = stand_in_cli(tmp_path / "installed", "v3.1.0")
    result = build(checkout, f"{path}:{SYSTEM_PATH}")
    assert "v3.1.0, older than the SDK" in result.stdout and "no Go" in result.stdout, result.stdout


def test_a_built_cli_at_the_pinned_version_is_not_built_again(checkout):
    pinned = next(
        line.split()[1]
        for line in (checkout / "tools" / "pulumi" / "go.mod").read_text().splitlines()
        if line.strip().startswith("github.com/pulumi/pulumi/pkg/v3 ")
    )
    bin_dir = stand_in_cli(checkout / ".tools" / "bin", pinned)
    (bin_dir / "pulumi-resource-pulumi-python").write_text("#!/bin/sh\n")
    (bin_dir / "pulumi-resource-pulumi-python").chmod(0o755)
    result = build(checkout, SYSTEM_PATH)  # no Go on PATH: a rebuild would have said so
    assert result.returncode == 0 and f".tools/bin/pulumi is {pinned} already" in result.stdout, result.stdout


def stand_in_host(folder: Path) -> Path:
    host = folder / "pulumi-language-python"
    host.write_text("#!/bin/sh\n")
    host.chmod(0o755)
    return host


def test_a_language_host_on_path_is_used_and_none_is_built(checkout, tmp_path):
    path = stand_in_cli(tmp_path / "installed", "v9.0.0")
    host = stand_in_host(path)
    result = build(checkout, f"{path}:{SYSTEM_PATH}")
    assert result.returncode == 0 and f"using the language host {host}" in result.stdout, result.stdout
    assert not (checkout / ".tools" / "bin" / "pulumi-language-python").exists()


def test_without_a_language_host_or_go_it_says_the_plain_commands_need_one(checkout, tmp_path):
    path = stand_in_cli(tmp_path / "installed", "v9.0.0")
    result = build(checkout, f"{path}:{SYSTEM_PATH}")
    assert result.returncode == 0 and "no Python language host on PATH and no Go" in result.stdout, result.stdout


def test_a_built_language_host_at_the_pinned_version_is_not_built_again(checkout, tmp_path):
    pinned = next(
        line.split()[1]
        for line in (checkout / "tools" / "pulumi" / "language-python" / "go.mod").read_text().splitlines()
        if line.strip().startswith("github.com/pulumi/pulumi/sdk/v3 ")
    )
    assert pinned == "v3.68.0"  # the last sdk/v3 that holds python/cmd/pulumi-language-python
    bin_dir = checkout / ".tools" / "bin"
    bin_dir.mkdir(parents=True)
    stand_in_host(bin_dir).rename(bin_dir / f"pulumi-language-python-{pinned}")  # the host itself
    stand_in_host(bin_dir)  # the wrapper that hands it Pulumi.yaml's virtualenv
    (bin_dir / ".pulumi-language-python.version").write_text(pinned + "\n")
    path = stand_in_cli(tmp_path / "installed", "v9.0.0")
    result = build(checkout, f"{path}:{SYSTEM_PATH}")  # no Go on PATH: a rebuild would have said so
    assert f".tools/bin/pulumi-language-python is {pinned} already" in result.stdout, result.stdout
