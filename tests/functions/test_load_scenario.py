"""The load scenario (benchmarks/load/scenario.js) cannot rot: a few seconds at a few users through `ops
functions serve` on a migrated database, every function of the mix called, none failing. Not timed: the figures
are `make load`'s. Skips when k6 is not installed (`make install` builds it with Go)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load.report import function_figures
from benchmarks.load.run import k6_binary, parse_args, run_served
from ops.functions_serve import DENO

MIX = {
    "ai-chat-message",
    "create-support-ticket",
    "document-upload",
    "search-engine",
    "family-vault",
    "professional-marketplace",
    "subscription-manager",
    "baseline",
}


@pytest.mark.timeout(600)
def test_a_short_run_calls_every_function_of_the_mix_without_an_error(migrated_database_url: str, tmp_path: Path):
    k6 = k6_binary()
    if not k6:
        pytest.skip("k6 is not installed: `make install` builds it into .local/bin (needs Go)")
    if not DENO.exists():
        pytest.skip("Deno is missing: run `make install`")
    args = parse_args(
        [
            "--peak-vus",
            "4",
            "--ramp-up",
            "2s",
            "--hold",
            "12s",
            "--ramp-down",
            "1s",
            "--think-seconds",
            "0.1",
            "--ai-latency-ms",
            "5-30",
            "--embedding-latency-ms",
            "1-5",
        ]
    )
    summary, usage = run_served(migrated_database_url, args, k6, tmp_path)
    figures = {figure.name: figure for figure in function_figures(summary)}
    assert set(figures) == MIX, f"functions the run never called: {MIX - set(figures)}"
    failed = {name: figure.errors for name, figure in figures.items() if figure.errors}
    assert failed == {}, f"requests failed: {failed} (LOG_ERRORS=1 shows them)"
    assert usage.peak_connections > 0 and usage.peak_functions_rss_mb > 0
