"""`make install` installs the operator CLI as the `ops` command: it runs from any folder, on this checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OPS = Path(sys.executable).parent / "ops"


def run_ops(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert OPS.is_file(), f"{OPS} is missing: run `make install` (it installs the project with pip -e .)"
    return subprocess.run([str(OPS), *argv], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_the_command_lists_every_command_from_another_folder(tmp_path: Path):
    result = run_ops("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ops ")
    for command in ("backup", "restore", "verify-backup", "frontend-env", "publish-frontend", "check-site"):
        assert command in result.stdout


def test_the_command_finds_the_checkouts_migrations_from_another_folder(tmp_path: Path, fresh_db: str):
    first = sorted((PROJECT_ROOT / "sql" / "migrations").glob("*.sql"))[0].name.split("_", 1)[0]
    result = run_ops("migrate", "--database-url", fresh_db, "--status", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert first in result.stdout, "the status lists the checkout's migrations, not the current folder's"


def test_usage_errors_exit_2_through_the_command(tmp_path: Path):
    assert run_ops("no-such-command", cwd=tmp_path).returncode == 2
