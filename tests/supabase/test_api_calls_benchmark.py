"""The API-call benchmark runs against the current program and meets its targets: a no-change deploy writes
nothing, a one-function change is one deploy call, and no request or answer breaks the OpenAPI contract.
(Call counts, not timings: the printed figures are for people; this keeps the script from rotting.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_api_calls_benchmark_meets_its_targets():
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "benchmarks" / "api_calls.py")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "deploy with no change: 0 API calls, 0 writes" in result.stdout
