"""The real Supabase CLI (node_modules, 2.117.0) pointed at a stand-in of the Management API.

The CLI takes any Management API from a profile file (`--profile`: name, api_url, dashboard_url,
project_host) and a token of the `sbp_` + 40 hex shape from SUPABASE_ACCESS_TOKEN; its requests then go to
the stand-in on loopback, which checks them against the spec like our own. Tests skip when it is absent.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.supabase.fake_api import FakeSupabase
from tests.supabase.spec import PROJECT_ROOT

SUPABASE_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "supabase"


def require_cli() -> Path:
    if not SUPABASE_CLI.exists():
        pytest.skip("the Supabase CLI is not installed (npm ci installs it into node_modules)")
    return SUPABASE_CLI


def write_profile(fake: FakeSupabase, folder: Path) -> Path:
    profile = folder / "standin-profile.yaml"
    profile.write_text(
        f"name: standin\napi_url: {fake.url}\ndashboard_url: {fake.url}/dashboard\nproject_host: supabase.co\n"
    )
    return profile


def run_cli(fake: FakeSupabase, workdir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`supabase <args> --profile <the stand-in's>` in workdir (which holds supabase/), failing on a non-zero exit."""
    profile = write_profile(fake, workdir)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),  # the CLI's telemetry and caches stay in the test's folder
        "SUPABASE_ACCESS_TOKEN": fake.token,
        "SUPABASE_TELEMETRY_DISABLED": "1",
        "DO_NOT_TRACK": "1",
        "NO_COLOR": "1",
    }
    done = subprocess.run(
        [str(require_cli()), *args, "--profile", str(profile)],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"supabase {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done
