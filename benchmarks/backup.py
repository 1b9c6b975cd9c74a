"""Backup benchmark: `python benchmarks/backup.py [--rows N]`.

Prints, in one run against the embedded PostgreSQL and a local S3 endpoint (moto, in its own process so
its memory is not counted): the backup's throughput against plain `pg_dump -Fc` to a local file (target:
a ratio of at least 0.8), the backup's peak memory for a database of N rows and of 4N rows (target: the
same, since parts have a fixed size), and the time to restore the 4N backup. Runs in under 3 minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.backup import BackupSettings, run_backup
from ops.backup.pgtools import PgClient
from ops.backup.restore import fetch_verified, restore_database
from ops.localdb import LocalDatabase, free_tcp_port

MIB = 1024 * 1024
FILL = """
create table public.events (id bigint primary key, kind text, actor text, payload text, digest text);
insert into public.events
select g, 'kind-' || (g % 17), md5(g::text), md5(random()::text) || md5(random()::text), md5(random()::text)
from generate_series(1, {rows}) g;
"""


class RssSampler:
    """Peak resident memory of this process above its level when sampling started."""

    def __init__(self) -> None:
        self.baseline = self._rss()
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    @staticmethod
    def _rss() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_tcp_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for _ in range(100):
        try:
            client.list_buckets()
            return server, endpoint
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def make_database(cluster: LocalDatabase, name: str, rows: int) -> str:
    url = cluster.create_database(name)
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(FILL.format(rows=rows))
        db.execute("vacuum analyze public.events")
    return url


def plain_dump_seconds(url: str, target: Path) -> tuple[float, int]:
    started = time.perf_counter()
    subprocess.run([PgClient().path("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={url}"], check=True)
    return time.perf_counter() - started, target.stat().st_size


def timed_backup(s3: object, bucket: str, stack: str, url: str, *, trace: bool) -> tuple[float, int, int, int]:
    """Seconds, dump bytes, tracemalloc peak, RSS peak above baseline."""
    settings = BackupSettings(database_url=url, stack=stack, bucket=bucket, s3=s3)
    if trace:
        tracemalloc.start()
    with RssSampler() as rss:
        started = time.perf_counter()
        _, manifest = run_backup(settings)
        seconds = time.perf_counter() - started
    traced = 0
    if trace:
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return seconds, manifest.size_bytes, traced, rss.peak - rss.baseline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=250_000, help="N: rows of the small database")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    cluster = LocalDatabase(work / "cluster", free_tcp_port())
    server, endpoint = start_moto()
    try:
        cluster.init()
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
        s3.create_bucket(Bucket="bench")
        small = make_database(cluster, "bench_small", args.rows)
        large = make_database(cluster, "bench_large", args.rows * 4)

        plain_s, plain_bytes = plain_dump_seconds(large, work / "plain.dump")
        backup_s, backup_bytes, _, _ = timed_backup(s3, "bench", "throughput", large, trace=False)
        small_mem = timed_backup(s3, "bench", "small", small, trace=True)
        large_mem = timed_backup(s3, "bench", "large", large, trace=True)

        target = cluster.create_database("bench_restore")
        from ops.backup.layout import resolve_backup

        started = time.perf_counter()
        location = resolve_backup(s3, "bench", "throughput", None)
        fetched = fetch_verified(s3, location, work)
        fetched_s = time.perf_counter() - started
        restore_database(fetched, target, PgClient(), clean=False)
        restore_s = time.perf_counter() - started

        print(f"database: N={args.rows:,} rows, 4N={args.rows * 4:,} rows; dump of 4N: {backup_bytes / MIB:.1f} MiB")
        print(f"plain pg_dump -Fc to a local file (4N): {plain_s:.2f} s, {plain_bytes / MIB / plain_s:.1f} MiB/s")
        print(f"ops backup to S3 (4N):                  {backup_s:.2f} s, {backup_bytes / MIB / backup_s:.1f} MiB/s")
        print(f"throughput ratio backup/plain:          {plain_s / backup_s:.2f} (target >= 0.8)")
        for label, (_, size, traced, rss) in (("N ", small_mem), ("4N", large_mem)):
            print(
                f"peak memory of the backup, {label} ({size / MIB:6.1f} MiB dump): "
                f"python heap {traced / MIB:5.1f} MiB, RSS growth {rss / MIB:5.1f} MiB"
            )
        print(
            f"restore of the 4N backup: {restore_s:.2f} s (download + SHA-256 check {fetched_s:.2f} s, "
            f"pg_restore {restore_s - fetched_s:.2f} s)"
        )
    finally:
        server.terminate()
        server.wait()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    main()
