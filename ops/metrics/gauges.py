"""The guide's scaling triggers (000 section 10.2) from one Prometheus scrape, as percentages.

CPU comes from the node exporter's cumulative `node_cpu_seconds_total`, so it needs two scrapes: the share
of the seconds between them that were not idle. Memory from `node_memory_MemAvailable_bytes` over
`node_memory_MemTotal_bytes`, disk from the fullest real filesystem, connections from the postgres exporter's
`pg_stat_database_numbackends` (summed over databases) over `pg_settings_max_connections`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

# Filesystems that are memory, not disk: their fill level says nothing about the database's volume.
VIRTUAL_FILESYSTEMS = frozenset({"tmpfs", "devtmpfs", "overlay", "squashfs", "ramfs"})
IDLE_MODES = frozenset({"idle", "iowait"})


class MetricsError(ValueError):
    """The endpoint's answer lacks what a gauge needs; names the metric."""


@dataclass(frozen=True)
class Scrape:
    """The samples of one scrape: metric name -> [(labels, value)]."""

    samples: dict[str, list[tuple[dict[str, str], float]]]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        try:
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    samples[sample.name].append((dict(sample.labels), float(sample.value)))
        except ValueError as exc:
            raise MetricsError(f"the metrics endpoint answered something that is not Prometheus text ({exc})") from None
        return cls(dict(samples))

    def values(self, name: str) -> list[tuple[dict[str, str], float]]:
        found = self.samples.get(name)
        if not found:
            raise MetricsError(
                f"the scrape has no {name}: the endpoint's metric names changed, or it is not "
                "Supabase's metrics endpoint"
            )
        return found

    def total(self, name: str) -> float:
        return sum(value for _, value in self.values(name))

    def cpu_seconds(self) -> tuple[float, float]:
        """(busy, all) CPU seconds since boot, summed over CPUs."""
        busy = every = 0.0
        for labels, value in self.values("node_cpu_seconds_total"):
            every += value
            if labels.get("mode") not in IDLE_MODES:
                busy += value
        return busy, every


def cpu_percent(before: Scrape, after: Scrape) -> float:
    busy_before, all_before = before.cpu_seconds()
    busy_after, all_after = after.cpu_seconds()
    elapsed = all_after - all_before
    if elapsed <= 0:
        raise MetricsError("node_cpu_seconds_total did not advance between the two scrapes (a restart?)")
    return 100.0 * max(0.0, busy_after - busy_before) / elapsed


def memory_percent(scrape: Scrape) -> float:
    total = scrape.total("node_memory_MemTotal_bytes")
    if total <= 0:
        raise MetricsError("node_memory_MemTotal_bytes is 0")
    return 100.0 * (1 - scrape.total("node_memory_MemAvailable_bytes") / total)


def disk_percent(scrape: Scrape) -> float:
    available = {
        _fs_key(labels): value
        for labels, value in scrape.values("node_filesystem_avail_bytes")
        if labels.get("fstype") not in VIRTUAL_FILESYSTEMS
    }
    fullest = 0.0
    for labels, size in scrape.values("node_filesystem_size_bytes"):
        key = _fs_key(labels)
        if size > 0 and key in available:
            fullest = max(fullest, 100.0 * (1 - available[key] / size))
    return fullest


def connections_percent(scrape: Scrape) -> float:
    limit = max(value for _, value in scrape.values("pg_settings_max_connections"))
    if limit <= 0:
        raise MetricsError("pg_settings_max_connections is 0")
    return 100.0 * scrape.total("pg_stat_database_numbackends") / limit


def gauges(before: Scrape, after: Scrape) -> dict[str, float]:
    """Metric name -> percent, as published to CloudWatch."""
    return {
        "CpuUtilization": round(cpu_percent(before, after), 2),
        "MemoryUtilization": round(memory_percent(after), 2),
        "DiskUtilization": round(disk_percent(after), 2),
        "ConnectionUtilization": round(connections_percent(after), 2),
    }


def _fs_key(labels: dict[str, str]) -> tuple[str, str]:
    return labels.get("device", ""), labels.get("mountpoint", "")
