"""The figures of a load run from k6's JSON summary (scenario.js's handleSummary): per function p50/p95/p99,
throughput and error rate, and its p95 as a ratio to the p95 of its bare twin (baseline.ts: the same database work
with no gateway, frame, guards or providers) measured in the same run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figures:
    calls: int
    errors: int
    p50: float
    p95: float
    p99: float
    per_second: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


@dataclass(frozen=True)
class FunctionFigures(Figures):
    name: str
    bare: Figures | None = None

    @property
    def p95_ratio(self) -> float | None:
        return self.p95 / self.bare.p95 if self.bare and self.bare.p95 > 0 else None


def _figures(metrics: dict[str, Any], prefix: str, metric: str, seconds: float) -> Figures | None:
    values = metrics.get(f"{prefix}_{metric}", {}).get("values", {})
    calls = int(values.get("count", 0))
    if calls == 0:
        return None
    errors = int(metrics.get(f"{prefix}_errors_{metric}", {}).get("values", {}).get("count", 0))
    return Figures(calls, errors, values["med"], values["p(95)"], values["p(99)"], calls / seconds)


def function_figures(summary: dict[str, Any]) -> list[FunctionFigures]:
    """Every function the run called (a metric fn_<name> with at least one value), by name, with its bare twin's."""
    metrics = summary["metrics"]
    seconds = summary["state"]["testRunDurationMs"] / 1000
    found = []
    for key in metrics:
        if not key.startswith("fn_") or key.startswith("fn_errors_"):
            continue
        metric = key[len("fn_") :]
        own = _figures(metrics, "fn", metric, seconds)
        if own is None:
            continue
        name = metric.replace("_", "-")  # k6's metric names take no hyphens (scenario.js)
        found.append(FunctionFigures(**vars(own), name=name, bare=_figures(metrics, "bare", metric, seconds)))
    return sorted(found, key=lambda figure: figure.name)


def total_errors(figures: list[FunctionFigures]) -> int:
    return sum(figure.errors + (figure.bare.errors if figure.bare else 0) for figure in figures)


def format_table(figures: list[FunctionFigures]) -> str:
    lines = [
        f"{'function':<26} {'calls':>6} {'req/s':>6} {'errors':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
        f" {'bare calls':>10} {'bare p50':>8} {'bare p95':>8} {'p95/bare':>8}"
    ]
    for figure in figures:
        bare = figure.bare
        twin = (
            f" {bare.calls:>10} {bare.p50:>8.1f} {bare.p95:>8.1f}"
            + (f" {figure.p95_ratio:>7.1f}x" if figure.p95_ratio is not None else f" {'-':>8}")
            + (f"  ({bare.errors} bare failed)" if bare.errors else "")
            if bare
            else f" {'-':>10} {'-':>8} {'-':>8} {'-':>8}"
        )
        lines.append(
            f"{figure.name:<26} {figure.calls:>6} {figure.per_second:>6.1f} {100 * figure.error_rate:>6.2f}%"
            f" {figure.p50:>7.1f} {figure.p95:>7.1f} {figure.p99:>7.1f}{twin}"
        )
    return "\n".join(lines)
