"""Migration engine speed against plain psql, in one run on one embedded PostgreSQL.

Prints: the time to apply the whole of sql/migrations to an empty database with our engine and with
`psql --single-transaction -f` per file (the baseline), their ratio (target <= 1.2), and the time of a
no-op run (target < 50 ms). Median of several rounds, each on a fresh database.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port, postgres_bin_dir

ROUNDS = 5
MIGRATIONS = Path(__file__).resolve().parent.parent / "sql" / "migrations"


def time_engine(url: str) -> float:
    started = time.perf_counter()
    dbmigrate.apply(url, MIGRATIONS)
    return time.perf_counter() - started


def time_psql(url: str) -> float:
    psql = str(postgres_bin_dir() / "psql")
    started = time.perf_counter()
    for path in sorted(MIGRATIONS.glob("*.sql")):
        subprocess.run([psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url, "-f", str(path)],
                       check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
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
