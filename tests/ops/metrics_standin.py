"""A stand-in for Supabase's metrics endpoint: Prometheus text with the node and postgres exporters' names,
behind HTTP basic auth (user service_role, the service-role key as password). Each scrape advances the CPU
counters by `busy`/`idle` seconds, as a real node exporter's would between two scrapes."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.harness.loopback_server import serve_on_loopback

SERVICE_ROLE_KEY = "eyJhbGciOiJIUzI1NiJ9.service-role.for-the-metrics-test"


@dataclass
class Node:
    url: str = ""
    cpus: int = 2
    busy: float = 8.5  # per CPU, per scrape
    idle: float = 1.5
    mem_total: int = 4 * 1024**3
    mem_available: int = 1024**3
    disk_size: int = 8 * 1024**3
    disk_available: int = 2 * 1024**3
    backends: tuple[int, ...] = (40, 5)
    max_connections: int = 60
    scrapes: int = 0
    garbage: bool = False

    def text(self) -> str:
        self.scrapes += 1
        lines = ["# TYPE node_cpu_seconds_total counter"]
        for cpu in range(self.cpus):
            lines += [
                f'node_cpu_seconds_total{{cpu="{cpu}",mode="user"}} {1000 + self.busy * self.scrapes * 0.8}',
                f'node_cpu_seconds_total{{cpu="{cpu}",mode="system"}} {500 + self.busy * self.scrapes * 0.2}',
                f'node_cpu_seconds_total{{cpu="{cpu}",mode="idle"}} {9000 + self.idle * self.scrapes}',
            ]
        lines += [
            "# TYPE node_memory_MemTotal_bytes gauge",
            f"node_memory_MemTotal_bytes {self.mem_total}",
            "# TYPE node_memory_MemAvailable_bytes gauge",
            f"node_memory_MemAvailable_bytes {self.mem_available}",
            "# TYPE node_filesystem_size_bytes gauge",
            f'node_filesystem_size_bytes{{device="/dev/nvme0n1p1",fstype="ext4",mountpoint="/"}} {self.disk_size}',
            'node_filesystem_size_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1000',
            "# TYPE node_filesystem_avail_bytes gauge",
            f'node_filesystem_avail_bytes{{device="/dev/nvme0n1p1",fstype="ext4",mountpoint="/"}} {self.disk_available}',
            'node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run"} 1',
            "# TYPE pg_settings_max_connections gauge",
            f"pg_settings_max_connections {self.max_connections}",
            "# TYPE pg_stat_database_numbackends gauge",
        ]
        lines += [f'pg_stat_database_numbackends{{datname="db{n}"}} {count}' for n, count in enumerate(self.backends)]
        return "\n".join(lines) + "\n"


@contextmanager
def serve_metrics() -> Iterator[Node]:
    node = Node()
    expected = "Basic " + base64.b64encode(f"service_role:{SERVICE_ROLE_KEY}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return
            body = b"{not prometheus" if node.garbage else node.text().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        node.url = f"{url}/customer/v1/privileged/metrics"
        yield node
