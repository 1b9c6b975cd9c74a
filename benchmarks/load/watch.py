"""What the platform uses while the load runs, sampled twice a second: the database's connections (peak), the
CPU the database server's processes spend (as a share of one core, peak and mean) and the functions' memory
(peak resident size of the Deno process serving them)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import psutil
import psycopg

SAMPLE_SECONDS = 0.5


@dataclass
class Usage:
    peak_connections: int = 0
    peak_cpu_percent: float = 0.0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    peak_functions_rss_mb: float = 0.0
    samples: int = 0

    @property
    def mean_cpu_percent(self) -> float:
        return 100 * self.cpu_seconds / self.wall_seconds if self.wall_seconds else 0.0


@dataclass
class Watcher:
    """Samples until stop(); `database_port` finds the server's processes (its postmaster listens there)."""

    database_url: str
    database_port: int
    functions_pid: int
    usage: Usage = field(default_factory=Usage)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Usage:
        self._stop.set()
        if self._thread:
            self._thread.join()
        return self.usage

    def _run(self) -> None:
        postmaster = _listener(self.database_port)
        functions = psutil.Process(self.functions_pid)
        started = time.monotonic()
        first_cpu = last_cpu = _tree_cpu(postmaster)
        last_time = started
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.wait(SAMPLE_SECONDS):
                row = conn.execute(
                    "select count(*) from pg_stat_activity where backend_type = 'client backend' "
                    "and pid <> pg_backend_pid()"
                ).fetchone()
                now, cpu = time.monotonic(), _tree_cpu(postmaster)
                self.usage.peak_connections = max(self.usage.peak_connections, int(row[0]) if row else 0)
                self.usage.peak_cpu_percent = max(
                    self.usage.peak_cpu_percent, 100 * (cpu - last_cpu) / (now - last_time)
                )
                last_cpu, last_time = cpu, now
                try:
                    rss = functions.memory_info().rss / 2**20
                except psutil.Error:
                    rss = 0.0
                self.usage.peak_functions_rss_mb = max(self.usage.peak_functions_rss_mb, rss)
                self.usage.samples += 1
        self.usage.cpu_seconds = last_cpu - first_cpu
        self.usage.wall_seconds = last_time - started


def _listener(port: int) -> psutil.Process | None:
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
            return psutil.Process(conn.pid)
    return None


def _tree_cpu(root: psutil.Process | None) -> float:
    """CPU seconds (user + system) of the server and its backends, the ones alive now plus those that ended,
    which a postmaster's children_* times hold once it has reaped them."""
    if root is None:
        return 0.0
    total = 0.0
    try:
        times = root.cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
        for child in root.children(recursive=True):
            try:
                child_times = child.cpu_times()
                total += child_times.user + child_times.system
            except psutil.Error:
                continue
    except psutil.Error:
        return 0.0
    return total
