"""Migration engine speed against plain psql, in one run on one embedded PostgreSQL.

Prints: the time to apply the whole of sql/migrations to an empty database with our engine and with
`psql --single-transaction -f` per file (the baseline), their ratio (target <= 1.2), and the time of a
no-op run (target < 50 ms). Median of several rounds, each on a fresh database.

Then the split of a 20 MB file (sql/migrations repeated; target < 2 s) into the Supabase CLI's statements,
its ratio to the split of an eighth of it (linear: about 8), and the whole check of that file (the split
plus PostgreSQL's parser on every statement), which an apply also does. Best of 3, wall and CPU time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from dbmigrate.splitter import split_cli
from dbmigrate.statements import parse_migration
from ops.localdb import LocalDatabase, free_tcp_port, postgres_bin_dir

ROUNDS = 5
MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"
SPLIT_BYTES = 20_000_000


def time_engine(url: str) -> float:
    started = time.perf_counter()
    dbmigrate.apply(url, MIGRATIONS)
    return time.perf_counter() - started


def time_psql(url: str) -> float:
    psql = str(postgres_bin_dir() / "psql")
    started = time.perf_counter()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        subprocess.run(
            [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url, "-f", str(path)],
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def best_of_3(work: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of three runs: the machine is shared, CPU time is the steadier."""
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(runs, key=lambda run: run[1])


def split_figures() -> None:
    unit = b"".join(path.read_bytes() for path in sorted(MIGRATIONS.glob("*.sql")))
    large = unit * (SPLIT_BYTES // len(unit) + 1)  # whole files only, so every statement is complete
    eighth = unit * max(1, len(large) // len(unit) // 8)
    large_wall, large_cpu = best_of_3(lambda: split_cli(large))
    eighth_wall, eighth_cpu = best_of_3(lambda: split_cli(eighth))
    check_wall, check_cpu = best_of_3(lambda: parse_migration.__wrapped__(large, source="bench.sql"))
    size = len(large) / 1e6
    print(f"split {size:.1f} MB, CLI statements:     {large_wall:8.2f} s wall, {large_cpu:.2f} s CPU   (target < 2 s)")
    print(
        f"ratio to {len(eighth) / 1e6:.1f} MB (linear: ~{len(large) / len(eighth):.0f}):   "
        f"{large_cpu / eighth_cpu:8.1f}   (CPU; wall {large_wall / eighth_wall:.1f})"
    )
    print(f"split + parser check of {size:.1f} MB:   {check_wall:8.2f} s wall, {check_cpu:.2f} s CPU")


def main() -> None:
    split_figures()
    cluster = LocalDatabase(Path(tempfile.mkdtemp(prefix="bench-")) / "pg", free_tcp_port())
    cluster.init()
    try:
        engine_times, psql_times, noop_times = [], [], []
        for round_number in range(ROUNDS):
            engine_url = cluster.create_database(f"engine_{round_number}")
            psql_url = cluster.create_database(f"psql_{round_number}")
            # Alternate the order so neither side always runs on a warmer cache.
            if round_number % 2:
                psql_times.append(time_psql(psql_url))
                engine_times.append(time_engine(engine_url))
            else:
                engine_times.append(time_engine(engine_url))
                psql_times.append(time_psql(psql_url))
            noop_times.append(time_engine(engine_url))
        files = len(list(MIGRATIONS.glob("*.sql")))
        engine, psql, noop = (statistics.median(t) for t in (engine_times, psql_times, noop_times))
        print(f"migration files:                  {files}")
        print(f"full apply, our engine (median):  {engine * 1000:8.1f} ms")
        print(f"full apply, psql -1 -f (median):  {psql * 1000:8.1f} ms")
        print(f"ratio engine / psql:              {engine / psql:8.2f}   (target <= 1.2)")
        print(f"no-op run incl. connect (median): {noop * 1000:8.1f} ms   (target < 50 ms)")
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
