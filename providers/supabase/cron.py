"""Validating a pg_cron schedule at program time, so a typo in a function's `function.json` stops the preview
instead of failing `cron.schedule` on the database.

pg_cron accepts standard five-field cron (minute, hour, day of month, month, day of week; `*`, lists, ranges and
`/steps`; month and day names), `$` for the last day of the month, and `'<1-59> seconds'`
(https://github.com/citusdata/pg_cron#what-is-pg_cron).
"""

from __future__ import annotations

import re

_FIELDS = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")),
    ("day of week", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_SECONDS = re.compile(r"^([1-9]|[1-5][0-9]) seconds?$")
_PART = re.compile(r"^(\*|[a-z0-9$]+(?:-[a-z0-9]+)?)(?:/(\d+))?$")


def cron_problem(expression: str) -> str | None:
    """None when pg_cron accepts `expression`; otherwise what is wrong, in words for the error message."""
    text = expression.strip().lower()
    if _SECONDS.match(text):
        return None
    fields = text.split()
    if len(fields) != 5:
        return f"has {len(fields)} fields; a cron schedule has five (minute hour day-of-month month day-of-week)"
    for value, (name, low, high, names) in zip(fields, _FIELDS, strict=True):
        for part in value.split(","):
            problem = _part_problem(part, name, low, high, names)
            if problem:
                return problem
    return None


def _part_problem(part: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    match = _PART.match(part)
    if not match:
        return f"{name} field {part!r} is not a number, range, list or */step"
    base, step = match.groups()
    if step is not None and int(step) == 0:
        return f"{name} field {part!r} has a step of 0"
    if base == "*":
        return None
    if base == "$":
        return None if name == "day of month" else f"$ (last day) is only allowed as the day of month, not {name}"
    for bound in base.split("-"):
        value = names.index(bound) + low if bound in names else int(bound) if bound.isdigit() else None
        if value is None or not low <= value <= high:
            return f"{name} field {part!r} is outside {low}-{high}"
    return None
