"""Provider errors as an operator reads them: the message first, not a Python traceback with it at the bottom.

Pulumi's dynamic-provider host (`python -m pulumi.dynamic`, the SDK pinned in requirements.txt) answers a failed
call with `traceback.format_exc()`, and the engine prints that whole: a screen of frames, then the one line that
says what to fix. When a provider module is imported inside that host, `install()` gives the host's error
wrapper a `traceback` whose format_exc puts the message first. Errors of ours (providers/, dbmigrate/) are
written for the operator and are shown alone; anything else (a bug, a library's error) keeps its traceback
below the message, for the report. Outside the host (the program, the tests' own process) nothing changes.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

OWN_PACKAGES = frozenset({"providers", "dbmigrate", "stackconfig"})


def format_message_first() -> str:
    exc = sys.exception()
    if exc is None:
        return traceback.format_exc()
    if type(exc).__module__.split(".")[0] in OWN_PACKAGES and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}"


class _MessageFirstTraceback:
    """The `traceback` module, but for format_exc."""

    format_exc = staticmethod(format_message_first)

    def __getattr__(self, name: str) -> Any:
        return getattr(traceback, name)


def install() -> None:
    """Inside Pulumi's dynamic-provider host only: its module is `__main__` there."""
    host = sys.modules.get("__main__")
    names = vars(host) if host is not None else {}
    if "DynamicResourceProviderServicer" not in names or "traceback" not in names:
        return
    if not isinstance(names["traceback"], _MessageFirstTraceback):
        names["traceback"] = _MessageFirstTraceback()
