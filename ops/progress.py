"""Progress of long transfers (backups, restores, storage copies) on standard error: done, rate and time
left. On a terminal one line is redrawn a few times a second; anywhere else (CI logs, files) a plain line is
written every `plain_every` seconds and at the end, so a log shows progress without a wall of updates.

Written here rather than taken from tqdm or rich: both redraw with carriage returns or stay silent when the
output is not a terminal, and a CI log needs neither.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import IO, Protocol

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(count: float) -> str:
    for unit in _UNITS:
        if abs(count) < 1024 or unit == _UNITS[-1]:
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _is_terminal(stream: IO[str]) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class Progress:
    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        stream: IO[str] | None = None,
        terminal: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        plain_every: float = 30.0,
        redraw_every: float = 0.25,
    ) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._terminal = _is_terminal(self._stream) if terminal is None else terminal
        self._clock = clock
        self._started = clock()
        self._every = redraw_every if self._terminal else plain_every
        self._last_shown = self._started
        self._finished = False

    def advance(self, amount: int) -> None:
        self.done += amount
        now = self._clock()
        if now - self._last_shown >= self._every:
            self._last_shown = now
            self._show(self.line(now))

    def finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        self._show(self.line(self._clock()), final=True)

    def line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.label}: {human_bytes(self.done)}"
        if self.total:
            text += f" of {human_bytes(self.total)} ({min(100, self.done * 100 // self.total)}%)"
        text += f", {human_bytes(rate)}/s"
        if self._finished:
            return text + f", done in {human_duration(elapsed)}"
        if self.total and rate > 0:
            text += f", {human_duration(max(0, self.total - self.done) / rate)} left"
        return text

    def _show(self, text: str, final: bool = False) -> None:
        if self._terminal:
            self._stream.write("\r\x1b[K" + text + ("\n" if final else ""))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()


class Readable(Protocol):
    """What the uploads read from: a binary file, a pipe, or a CountingReader around one."""

    def read(self, size: int = -1, /) -> bytes: ...


class CountingReader:
    """A binary stream that reports every byte read to a Progress."""

    def __init__(self, stream: Readable, progress: Progress) -> None:
        self._stream = stream
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._progress.advance(len(chunk))
        return chunk
