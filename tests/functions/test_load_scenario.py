"""The load scenario (benchmarks/load/scenario.js) cannot rot: a few seconds at a few users through `ops
functions serve` on a migrated database, every function of the mix called, and its bare twin (baseline.ts), none
failing. Not timed: the figures are `make load`'s. Skips when k6 is not installed (`make install` builds it with Go)."""

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
            "--bare-share",
            "1",
        ]
    )
    summary, usage = run_served(migrated_database_url, args, k6, tmp_path)
    figures = {figure.name: figure for figure in function_figures(summary)}
    assert set(figures) == MIX, f"functions the run never called: {MIX - set(figures)}"
    failed = {name: figure.errors for name, figure in figures.items() if figure.errors}
    assert failed == {}, f"requests failed: {failed} (LOG_ERRORS=1 shows them)"
    # Every function has its baseline from the same run: its bare twin called, without a failure.
    without_twin = {name for name, figure in figures.items() if figure.bare is None}
    assert without_twin == set(), f"functions without a bare twin's figures: {without_twin}"
    bare_failed = {name: figure.bare.errors for name, figure in figures.items() if figure.bare and figure.bare.errors}
    assert bare_failed == {}, f"bare handlers failed: {bare_failed} (LOG_ERRORS=1 shows them)"
    assert all(figure.p95_ratio is not None and figure.p95_ratio > 0 for figure in figures.values())
    assert usage.peak_connections > 0 and usage.peak_functions_rss_mb > 0
