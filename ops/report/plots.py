"""The review's plots, drawn with matplotlib (no display: the Agg backend) and returned as PNG bytes."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use("Agg"): no display here
from matplotlib.figure import Figure

from ops.metrics.database_figures import Statement
from ops.report.data import Backup, FunctionDay


def slowest_statements(statements: Sequence[Statement]) -> bytes:
    figure, axes = plt.subplots(figsize=(9, 0.45 * max(3, len(statements)) + 1))
    labels = [_short(s.query) for s in statements][::-1]
    axes.barh(labels, [s.mean_ms for s in statements][::-1], color="#c0504d")
    axes.set_xlabel("mean time per call (ms)")
    figure.suptitle("Slowest statements (pg_stat_statements, by total time)")
    return _png(figure)


def function_trends(days: Sequence[FunctionDay]) -> bytes:
    by_function: dict[str, list[FunctionDay]] = defaultdict(list)
    for row in days:
        by_function[row.function].append(row)
    figure, (latency, errors) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for function, rows in sorted(by_function.items()):
        line = latency.plot([r.day for r in rows], [r.p95_ms for r in rows], marker="o", label=f"{function} p95")[0]
        latency.plot(
            [r.day for r in rows],
            [r.p50_ms for r in rows],
            linestyle="--",
            color=line.get_color(),
            label=f"{function} p50",
        )
        errors.plot(
            [r.day for r in rows], [r.error_percent for r in rows], marker="o", color=line.get_color(), label=function
        )
    latency.set_ylabel("execution time (ms)")
    latency.set_title("Each function's latency (performance_metrics)")
    errors.set_ylabel("5xx share (%)")
    errors.set_title("Each function's error share")
    for axes in (latency, errors):
        if by_function:
            axes.legend(fontsize="small", loc="upper left")
        axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def per_day(points: Sequence[tuple[date, float]], *, title: str, ylabel: str, bars: bool) -> bytes:
    figure, axes = plt.subplots(figsize=(9, 3.5))
    # matplotlib plots dates as they are; its stubs only list numbers and strings.
    days: list[Any] = [p[0] for p in points]
    values = [p[1] for p in points]
    if bars:
        axes.bar(days, values, color="#4f81bd")
    else:
        axes.plot(days, values, marker="o", color="#4f81bd")
    axes.set_title(title)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    return _png(figure)


def backup_history(backups: Sequence[Backup]) -> bytes:
    figure, axes = plt.subplots(figsize=(9, 3.5))
    axes.bar([b.stamp[:13] for b in backups], [b.size_bytes / 1048576 for b in backups], color="#9bbb59")
    axes.set_title("Backups (complete runs, with a manifest)")
    axes.set_ylabel("dump size (MiB)")
    figure.autofmt_xdate()
    return _png(figure)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=90)
    plt.close(figure)
    return buffer.getvalue()


def _short(query: str, width: int = 48) -> str:
    flat = " ".join(query.split())
    flat = flat if len(flat) <= width else flat[: width - 1] + "…"
    return flat.replace("$", r"\$")  # $1 is a placeholder, not matplotlib's mathtext
