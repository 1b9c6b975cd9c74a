"""Client-side pacing: stay under Supabase's per-endpoint rate limits instead of bouncing off them.

The Management API allows 120 requests a minute per user, per project, per endpoint (custom-hostname
calls 10). A sliding window per endpoint keeps us a little below that, so a large deploy slows down
rather than spending its retries on 429s.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
DEFAULT_LIMIT = 110  # documented limit 120, minus headroom for other tools using the same token
CUSTOM_HOSTNAME_LIMIT = 9  # documented limit 10


def limit_for(path: str) -> int:
    return CUSTOM_HOSTNAME_LIMIT if "/custom-hostname" in path else DEFAULT_LIMIT


class Pacer:
    """Blocks a caller until its endpoint has room in the current window."""

    def __init__(
        self,
        *,
        window_seconds: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sent: dict[str, deque[float]] = {}

    def wait(self, endpoint: str, limit: int) -> float:
        """Waits until one more request to `endpoint` fits; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                sent = self._sent.setdefault(endpoint, deque())
                while sent and now - sent[0] >= self._window:
                    sent.popleft()
                if len(sent) < limit:
                    sent.append(now)
                    return waited
                delay = self._window - (now - sent[0])
            self._sleep(delay)
            waited += delay


# One pacer per process: every resource of a deployment shares the same token and so the same limits.
SHARED_PACER = Pacer()
