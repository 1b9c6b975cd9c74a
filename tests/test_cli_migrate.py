"""`python -m ops migrate`: exit codes 0 done / 1 refused or failed / 2 usage, on the same engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def ops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_status_dry_run_apply_and_noop(fresh_db, migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text("create table notes (id int);\n")
    common = ["--database-url", fresh_db, "--migrations-dir", str(migrations_dir)]

    status = ops("migrate", *common, "--status")
    assert status.returncode == 0 and "pending  20250101000000  notes" in status.stdout

    dry = ops("migrate", *common, "--dry-run")
    assert dry.returncode == 0 and "would apply" in dry.stdout
    assert "pending  20250101000000" in ops("migrate", *common, "--status").stdout

    applied = ops("migrate", *common)
    assert applied.returncode == 0 and "applied 20250101000000" in applied.stdout
    again = ops("migrate", *common)
    assert again.returncode == 0 and "nothing to apply" in again.stdout
    assert "applied  20250101000000  notes" in ops("migrate", *common, "--status").stdout


def test_refusal_exits_1_with_the_reason(fresh_db, migrations_dir):
    path = migrations_dir / "20250101000000_notes.sql"
    path.write_text("create table notes (id int);\n")
    common = ["--database-url", fresh_db, "--migrations-dir", str(migrations_dir)]
    assert ops("migrate", *common).returncode == 0
    path.write_text("create table notes (id bigint);\n")
    refused = ops("migrate", *common)
    assert refused.returncode == 1 and "was edited after it was applied" in refused.stderr
    accepted = ops("migrate", *common, "--accept-changed", "20250101000000")
    assert accepted.returncode == 0


def test_usage_errors_exit_2(migrations_dir):
    assert ops("migrate", "--no-such-flag").returncode == 2
    missing_url = ops("migrate", env={"DATABASE_URL": ""})
    assert missing_url.returncode == 2 and "--database-url" in missing_url.stderr


def test_unreachable_database_exits_1_without_the_password(migrations_dir):
    (migrations_dir / "20250101000000_notes.sql").write_text("create table notes (id int);\n")
    failed = ops(
        "migrate",
        "--migrations-dir",
        str(migrations_dir),
        env={"DATABASE_URL": "postgresql://u:TopSecretPw9@127.0.0.1:1/db"},
    )
    assert failed.returncode == 1 and "cannot connect" in failed.stderr
    assert "TopSecretPw9" not in failed.stderr + failed.stdout
