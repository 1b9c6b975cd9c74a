"""Values the committed stack files ship with until a team fills in its own: the reserved example domains
(RFC 2606) and the `example-org` organization. A deploy with them would point DNS, e-mail alerts and the CI's
trust at names nobody owns, so the program says which keys still hold one."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"(^|[^A-Za-z0-9-])(example\.(com|org|net)|example-org)([^A-Za-z0-9-]|$)")


def placeholder_keys(raw: Mapping[str, Any]) -> list[str]:
    """The config paths (e.g. `dns.zoneName`, `alerts.emails[0]`) whose value holds a placeholder."""
    return sorted(path for path, value in _leaves(raw, "") if isinstance(value, str) and _PLACEHOLDER.search(value))


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value
