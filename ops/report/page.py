"""The review as one HTML page: styles inline, plots as `data:` PNGs, nothing fetched when it is opened (it can
be mailed or archived as a single file). Every database text (statements, names) is escaped."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape

from ops.report import plots
from ops.report.cloudwatch import CloudFigures
from ops.report.data import ReportData

STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;"
    "text-align:right}td.text,th.text{text-align:left;font-family:monospace;max-width:40em;"
    "overflow-wrap:anywhere}img{max-width:100%}.note{color:#666}"
)


def render(data: ReportData, *, title: str) -> str:
    figures = data.figures
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p class=note>Last {data.days} days, written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Slow statements (mean over the threshold): {figures.slow_statements}; table cache hit ratio: "
        f"{_percent(figures.table_hit_ratio)}; index cache hit ratio: {_percent(figures.index_hit_ratio)}.</p>",
    ]
    parts += [
        "<h2>Slowest statements</h2>",
        _image(plots.slowest_statements(figures.by_time), "slowest statements"),
        _table(
            ["statement", "calls", "total ms", "mean ms"],
            [[s.query, s.calls, f"{s.total_ms:.1f}", f"{s.mean_ms:.2f}"] for s in figures.by_time],
        ),
    ]
    parts.append("<h2>Functions: latency and errors</h2>")
    if data.function_days:
        parts += [
            _image(plots.function_trends(data.function_days), "function latency and errors"),
            _table(
                ["day", "function", "calls", "p50 ms", "p95 ms", "5xx %"],
                [
                    [str(d.day), d.function, d.calls, f"{d.p50_ms:.0f}", f"{d.p95_ms:.0f}", f"{d.error_percent:.1f}"]
                    for d in data.function_days
                ],
                text_columns=2,
            ),
        ]
    else:
        parts.append("<p class=note>No performance_metrics rows in the window.</p>")
    parts.append("<h2>Provider spend per day (USD)</h2>")
    if data.spend_days:
        parts += [
            _image(
                plots.per_day(
                    data.spend_days, title="Provider spend per day (the spend ledger)", ylabel="USD", bars=True
                ),
                "spend per day",
            ),
            _table(["day", "USD"], [[str(day), f"{usd:.4f}"] for day, usd in data.spend_days], text_columns=1),
            _table(
                ["day", "unit", "units", "USD"],
                [[str(s.day), s.unit, f"{s.quantity:.0f}", f"{s.usd:.4f}"] for s in data.spend_units],
                text_columns=2,
            ),
        ]
    else:
        parts.append("<p class=note>No spend recorded in the window.</p>")
    parts += [
        "<h2>Storage</h2>",
        _image(
            plots.per_day(
                [(d, b / 1048576) for d, b in data.storage_days], title="Bytes in Storage", ylabel="MiB", bars=False
            ),
            "storage growth",
        ),
        _table(
            ["table", "total", "rows", "dead rows"],
            [[t.name, _bytes(t.total_bytes), t.live_rows, t.dead_rows] for t in figures.tables[:15]],
        ),
    ]
    if data.cloud is not None:
        parts += _cloud_section(data.cloud)
    parts.append("<h2>Backups</h2>")
    if data.backups:
        parts += [
            _image(plots.backup_history(data.backups), "backup history"),
            _table(["backup", "size"], [[b.stamp, _bytes(b.size_bytes)] for b in data.backups]),
        ]
    elif data.backups is None:
        parts.append("<p class=note>No backup bucket given (--backup-bucket): backup history left out.</p>")
    else:
        parts.append("<p class=note>No complete backup in the bucket.</p>")
    parts += [f"<p class=note>{escape(note)}</p>" for note in data.notes]
    body = "\n".join(parts)
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def _cloud_section(cloud: CloudFigures) -> list[str]:
    """The dashboard's figures as CloudWatch holds them (the scraper's and the spend meter's)."""
    parts = ["<h2>The dashboard's figures (CloudWatch)</h2>"]
    if cloud.function_days:
        parts.append(
            _table(
                ["day", "function", "calls", "5xx %", "p50 ms", "p95 ms", "mean ms"],
                [
                    [
                        str(d.day),
                        d.function,
                        f"{d.calls:.0f}",
                        f"{d.error_percent:.1f}",
                        _ms(d.p50_ms),
                        _ms(d.p95_ms),
                        _ms(d.average_ms),
                    ]
                    for d in cloud.function_days
                ],
                text_columns=2,
            )
        )
    else:
        parts.append(
            "<p class=note>No function calls in CloudWatch for the window (is the scraper's logs token set?).</p>"
        )
    spend = sorted(cloud.per_day.get("ProviderSpendUsd", {}).items())
    if spend:
        parts.append(
            _image(
                plots.per_day(spend, title="Provider spend per day (the spend meter)", ylabel="USD", bars=True),
                "spend per day from CloudWatch",
            )
        )
    columns = [
        ("ApiRequests", "API requests", "{:.0f}"),
        ("Api5xx", "API 5xx", "{:.0f}"),
        ("FailedSignIns", "failed sign-ins", "{:.0f}"),
        ("SlowStatements", "slow statements", "{:.0f}"),
        ("CpuUtilization", "CPU % max", "{:.1f}"),
        ("MemoryUtilization", "memory % max", "{:.1f}"),
        ("DiskUtilization", "disk % max", "{:.1f}"),
        ("ConnectionUtilization", "connections % max", "{:.1f}"),
        ("ProviderSpendUsd", "spend USD", "{:.4f}"),
        ("BackupAgeHours", "backup age h max", "{:.1f}"),
    ]
    days = sorted({day for key, _, _ in columns for day in cloud.per_day.get(key, {})})
    if days:
        parts.append(
            _table(
                ["day", *(label for _, label, _ in columns)],
                [
                    [str(day), *(_cell(cloud.per_day.get(key, {}).get(day), form) for key, _, form in columns)]
                    for day in days
                ],
            )
        )
    age = "n/a (no point in the last hour)" if cloud.backup_age_hours is None else f"{cloud.backup_age_hours:.1f} h"
    parts.append(f"<p>Newest complete backup's age: {escape(age)}</p>")
    return parts


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def _cell(value: float | None, form: str) -> str:
    return "" if value is None else form.format(value)


def _image(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(headers: list[str], rows: list[list[object]], *, text_columns: int = 1) -> str:
    def cell(tag: str, value: object, index: int) -> str:
        kind = ' class="text"' if index < text_columns else ""
        return f"<{tag}{kind}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{100 * ratio:.2f} %"


def _bytes(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"
