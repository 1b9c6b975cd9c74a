"""The staging load test workflow: run by hand only, with the target and the test user as secrets, through the
same runner `make load` uses, and k6 at the version the Makefile pins."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from tests.ops.test_workflows import PROJECT_ROOT, load

sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.load.run import parse_args


def test_load_test_runs_only_when_dispatched_with_its_secrets():
    workflow = load("load-test.yml")
    assert set(workflow["on"]) == {"workflow_dispatch"}
    [job] = workflow["jobs"].values()
    text = (PROJECT_ROOT / ".github" / "workflows" / "load-test.yml").read_text()
    for secret in ("LOAD_TARGET_URL", "LOAD_SUPABASE_URL", "LOAD_SUPABASE_ANON_KEY", "LOAD_EMAIL", "LOAD_PASSWORD"):
        assert f"secrets.{secret}" in text
    [run] = [step for step in job["steps"] if "benchmarks/load/run.py" in str(step.get("run", ""))]
    argv = shlex.split(run["run"])
    assert argv[:2] == [".venv/bin/python", "benchmarks/load/run.py"]
    # The workflow's inputs as a dispatch passes them: the runner accepts that command line.
    values = {"$LOAD_TARGET_URL": "https://ref.supabase.co/functions/v1", "$PEAK_VUS": "100", "$HOLD": "5m"}
    args = parse_args([values.get(arg, arg) for arg in argv[2:]])
    assert (args.target, args.peak_vus, args.hold) == ("https://ref.supabase.co/functions/v1", 100, "5m")
    assert run["env"]["PEAK_VUS"] == "${{ inputs.peak_vus }}" and run["env"]["HOLD"] == "${{ inputs.hold }}"


def test_k6_is_installed_through_the_makefiles_pinned_module():
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    assert re.search(r"^K6_MODULE := go\.k6\.io/k6@v\d+\.\d+\.\d+$", makefile, re.MULTILINE)
    text = (PROJECT_ROOT / ".github" / "workflows" / "load-test.yml").read_text()
    assert "make .local/bin/k6" in text and "go install" not in text
    assert Path(PROJECT_ROOT / "benchmarks" / "load" / "scenario.js").exists()
