"""The `.env.production` that `ops frontend-env` writes, read back by Vite's real loadEnv (npm `vite`).

Vite parses the file with dotenv and then expands `$VAR` / `${VAR}` from the build machine's environment, so an
unescaped `$` in a stack output would copy a CI secret into the public bundle. Each value must come back exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ops.frontend_env import FrontendEnvError, render
from tests.ops.helpers import ops
from tests.ops.test_frontend_env import read_env, sample_outputs

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LOAD_ENV = Path(__file__).with_name("vite_load_env.mjs")
CI_SECRET = "ci-secret-AKIA-do-not-ship-4f2b"

# Every character dotenv or dotenv-expand treats specially, alone and in the combinations that broke before.
TRICKY_VALUES = [
    "${AWS_SECRET_ACCESS_KEY}",
    "$AWS_SECRET_ACCESS_KEY",
    "${AWS_SECRET_ACCESS_KEY:-fallback}",
    "${MISSING-default} and $",
    "cost $5, or $$",
    "\\${AWS_SECRET_ACCESS_KEY} already escaped",
    "C:\\new\\release\\",
    'say "hi"',
    "it's here",
    'it\'s "both"',
    "`tick` and 'single'",
    "a # not a comment",
    "#hash first",
    "  padded  ",
    "trailing backslash \\",
    "a=b=c",
    "Assistant · Ünïcode ✓",
    "",
]


def load_with_vite(env_dir: Path) -> dict[str, str]:
    node = shutil.which("node")
    if node is None or not (PROJECT_ROOT / "node_modules" / "vite").is_dir():
        pytest.fail("Vite is missing (node and node_modules/vite): run `make install`")
    build_env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": "/home/ci",
        "AWS_SECRET_ACCESS_KEY": CI_SECRET,
        "MISSING": "",
    }
    result = subprocess.run(
        [node, str(LOAD_ENV), "production", str(env_dir)],
        env=build_env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_vite_reads_back_every_value_exactly_and_expands_nothing(tmp_path):
    pairs = [(f"VITE_VALUE_{index}", value) for index, value in enumerate(TRICKY_VALUES)]
    (tmp_path / ".env.production").write_text(render(pairs))
    loaded = load_with_vite(tmp_path)
    mismatches = {name: (value, loaded.get(name)) for name, value in pairs if loaded.get(name) != value}
    assert not mismatches, f"Vite read these back changed (written, read): {mismatches}"
    assert CI_SECRET not in json.dumps(loaded), "a build-machine secret reached the bundle's env"


def test_an_app_name_naming_a_ci_variable_stays_literal_in_the_bundle(tmp_path):
    outputs = sample_outputs(appName="Assistant ${AWS_SECRET_ACCESS_KEY}")
    source = tmp_path / "outputs.json"
    source.write_text(json.dumps(outputs))
    assert ops("frontend-env", "--outputs", source, "--output", tmp_path / ".env.production") == 0
    loaded = load_with_vite(tmp_path)
    assert loaded["VITE_APP_NAME"] == "Assistant ${AWS_SECRET_ACCESS_KEY}"
    assert loaded["VITE_SUPABASE_URL"] == outputs["supabaseUrl"]
    assert CI_SECRET not in json.dumps(loaded)
    assert read_env(tmp_path)["VITE_APP_NAME"] == "'Assistant \\${AWS_SECRET_ACCESS_KEY}'"


def test_a_value_holding_all_three_quotes_is_refused_by_name():
    with pytest.raises(FrontendEnvError, match="VITE_APP_NAME holds every quote character"):
        render([("VITE_APP_NAME", "a'b\"c`d")])
