"""What every dynamic provider shares, whatever API it drives: unknown values during preview, diffs that
tolerate the engine's numbers, and a redactor that keeps secrets out of every message raised or logged.

Providers are pickled by reference (module and class names are permanent), so this module holds functions and
a plain helper class only, never a provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi.dynamic import DiffResult
from pulumi.output import Unknown

# What an unknown value looks like to a dynamic provider during preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_unknown(value: Any) -> bool:
    """Unknown during preview: `check` gets an Unknown object, `diff` the marker string (inside lists too)."""
    if isinstance(value, Unknown) or value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(is_unknown(item) for item in value)
    return False


def as_int(value: Any) -> int | None:
    """The engine sends every number as a float."""
    return None if value is None else int(value)


def changed_keys(olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]) -> list[str]:
    return [key for key in keys if is_unknown(news.get(key)) or _normal(olds.get(key)) != _normal(news.get(key))]


def _normal(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return value


def diff_result(changes: list[str], replace_keys: Iterable[str] = ()) -> DiffResult:
    replaces = [key for key in changes if key in set(replace_keys)]
    return DiffResult(changes=bool(changes), replaces=replaces, stables=[], delete_before_replace=bool(replaces))


class Redactor:
    """Replaces every registered secret value in a text; used on every message we raise or log."""

    MINIMUM_LENGTH = 4  # shorter values would redact ordinary words and prove nothing

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= self.MINIMUM_LENGTH:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
        return text
