"""The real Supabase CLI (npm `supabase`, pinned in package.json), run against a test database.

Its platform binary arrives with `npm install` as the optional dependency @supabase/cli-<os>-<arch>; no
download happens at install or run time. The CLI reads `<workdir>/supabase/migrations`.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops.localdb import LocalDatabase
from tests.conftest import PROJECT_ROOT, dbname_of

SUPABASE_BIN = PROJECT_ROOT / "node_modules" / ".bin" / "supabase"
# A row of `migration list`: "   `20260101000100` | ` `              | `2026-01-01 00:01:00`" (a blank side: ` `).
_LIST_ROW = re.compile(r"^[ \t]*`(?P<local>\d*) ?`[ \t]*\|[ \t]*`(?P<remote>\d*) ?`[ \t]*\|", re.MULTILINE)


@dataclass(frozen=True)
class SupabaseCli:
    workdir: Path  # holds supabase/migrations
    db_url: str  # TCP, as the CLI takes it

    @property
    def migrations_dir(self) -> Path:
        return self.workdir / "supabase" / "migrations"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DO_NOT_TRACK": "1", "SUPABASE_TELEMETRY_DISABLED": "1"}
        result = subprocess.run(
            [str(SUPABASE_BIN), *args, "--db-url", self.db_url, "--workdir", str(self.workdir)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"supabase {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def push(self) -> subprocess.CompletedProcess[str]:
        return self.run("db", "push", "--yes")

    def push_dry_run(self) -> str:
        result = self.run("db", "push", "--dry-run")
        return result.stdout + result.stderr

    def repair(self, status: str, *versions: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("migration", "repair", "--status", status, *versions, "--yes", check=check)

    def migration_list(self) -> list[tuple[str, str]]:
        """(local version, remote version) per row of `migration list`; '' where one side lacks it."""
        output = self.run("migration", "list").stdout
        return [(m["local"], m["remote"]) for m in _LIST_ROW.finditer(output) if m["local"] or m["remote"]]


def supabase_cli_for(pg_cluster: LocalDatabase, db_url: str, workdir: Path) -> SupabaseCli:
    if not SUPABASE_BIN.exists():
        pytest.skip("the Supabase CLI is not installed; run `make install` (npm installs it from package.json)")
    (workdir / "supabase" / "migrations").mkdir(parents=True, exist_ok=True)
    tcp = pg_cluster.tcp_url(dbname=dbname_of(db_url))
    return SupabaseCli(workdir=workdir, db_url=f"{tcp}?sslmode=disable")
