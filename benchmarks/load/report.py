"""The figures of a load run from k6's JSON summary (scenario.js's handleSummary): per function p50/p95/p99,
throughput and error rate, each p95 also as a ratio to the bare baseline handler's p95 in the same run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BASELINE = "baseline"


@dataclass(frozen=True)
class FunctionFigures:
    name: str
    calls: int
    errors: int
    p50: float
    p95: float
    p99: float
    per_second: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def function_figures(summary: dict[str, Any]) -> list[FunctionFigures]:
    """Every function the run called (a metric fn_<name> with at least one value), in the scenario's order."""
    metrics = summary["metrics"]
    seconds = summary["state"]["testRunDurationMs"] / 1000
    figures = []
    for metric, data in metrics.items():
        if not metric.startswith("fn_") or metric.startswith("fn_errors_"):
            continue
        values = data.get("values", data)
        calls = int(values.get("count", 0))
        if calls == 0:
            continue
        errors = metrics.get(f"fn_errors_{metric[len('fn_') :]}", {}).get("values", {}).get("count", 0)
        name = metric[len("fn_") :].replace("_", "-")  # k6's metric names take no hyphens (scenario.js)
        figures.append(
            FunctionFigures(name, calls, int(errors), values["med"], values["p(95)"], values["p(99)"], calls / seconds)
        )
    return sorted(figures, key=lambda figure: (figure.name != BASELINE, figure.name))


def total_errors(figures: list[FunctionFigures]) -> int:
    return sum(figure.errors for figure in figures)


def format_table(figures: list[FunctionFigures]) -> str:
    baseline = next((figure for figure in figures if figure.name == BASELINE), None)
    lines = [
        f"{'function':<26} {'calls':>7} {'req/s':>7} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
        f" {'p95/baseline':>13}"
    ]
    for figure in figures:
        ratio = f"{figure.p95 / baseline.p95:>12.1f}x" if baseline and baseline.p95 > 0 else f"{'-':>13}"
        lines.append(
            f"{figure.name:<26} {figure.calls:>7} {figure.per_second:>7.1f} {100 * figure.error_rate:>6.2f}%"
            f" {figure.p50:>8.1f} {figure.p95:>8.1f} {figure.p99:>8.1f} {ratio}"
        )
    return "\n".join(lines)
