"""The document pipeline's figures: `.venv/bin/python benchmarks/documents.py`.

Starts an embedded PostgreSQL with every migration, then benchmarks/documents_bench.ts (Deno) with the tests'
loopback stand-ins for Storage, Google Vision, the AI providers and the embeddings APIs, which answer at once, so
the figures are the functions' and the database's own cost. Prints:
- documents processed per minute by document-processor with 1, 2 and 4 workers at once, each as a ratio to one
  worker, and the check that no document was processed twice (Vision calls, attempts, results per document);
- search latency p50/p95 over 10,000 chunks, search-engine end to end and the SQL function alone (the baseline).
BENCH_DOCS, BENCH_CHUNKS and BENCH_SEARCHES change the sizes; BENCH_VISION_LATENCY_MS, BENCH_EMBEDDING_LATENCY_MS and
BENCH_AI_LATENCY_MS (MIN-MAX ms, e.g. 500-1500) make the stand-ins take the providers' time (benchmarks/slow_proxy.ts).
Takes one to two minutes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port
from tests.functions.conftest import MIGRATIONS_DIR
from tests.functions.deno import ALLOWED_ENV, DENO, MISSING_DENO, PROJECT_ROOT, deno_env

MARKER = "DOCUMENTS_BENCH_RESULT "
# The sizes, and how long the stand-ins take (MIN-MAX ms; unset: they answer at once).
SIZES = (
    "BENCH_DOCS",
    "BENCH_CHUNKS",
    "BENCH_SEARCHES",
    "BENCH_VISION_LATENCY_MS",
    "BENCH_EMBEDDING_LATENCY_MS",
    "BENCH_AI_LATENCY_MS",
)


def run(database_url: str) -> dict:
    env = deno_env(database_url) | {name: os.environ[name] for name in SIZES if name in os.environ}
    command = [
        str(DENO),
        "run",
        "--allow-net=127.0.0.1,localhost",
        f"--allow-env={','.join([*ALLOWED_ENV, *SIZES])}",
        "--allow-read=functions,tests/functions,benchmarks",
        "--no-prompt",
        "benchmarks/documents_bench.ts",
    ]
    done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1200)
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    raise SystemExit(f"the benchmark failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def report(result: dict) -> None:
    latency = {name: value for name, value in result.get("latency", {}).items() if value}
    print(
        f"document-processor, {result['docs']} documents per round (stand-ins: "
        f"{', '.join(f'{k}={v}' for k, v in latency.items()) or 'answer at once'})"
    )
    print(
        f"{'workers':>8} {'seconds':>8} {'docs/min':>9} {'vs 1':>6} {'vision calls':>13} {'distinct':>9} "
        f"{'retried':>8}  per worker"
    )
    one = result["workers"]["1"]["per_minute"]
    for workers, row in result["workers"].items():
        print(
            f"{workers:>8} {row['seconds']:>8} {row['per_minute']:>9} {row['per_minute'] / one:>5.2f}x "
            f"{row['vision_calls']:>13} {row['distinct_documents']:>9} {row['jobs_with_more_than_one_attempt']:>8}"
            f"  {row['per_worker']}"
        )
        twice = row["processed_results"] != row["distinct_documents"] or row["vision_calls"] != result["docs"]
        if twice or row["completed"] != result["docs"]:
            print(f"         !! {workers} workers: a document was processed twice or not at all")
    search = result["search"]
    print(f"\nsearch over {result['chunks']} chunks, {result['searches']} queries")
    for name, label in (("sql_only_ms", "search_documents_page alone (baseline)"), ("end_to_end_ms", "search-engine")):
        figures = search[name]
        ratio = figures["p50"] / search["sql_only_ms"]["p50"]
        print(f"  {label:<40} p50 {figures['p50']:>7} ms  p95 {figures['p95']:>7} ms  ({ratio:.2f}x)")


def main() -> None:
    if not DENO.exists():
        raise SystemExit(MISSING_DENO)
    workdir = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    cluster.init()
    try:
        cluster.create_database("bench")
        dbmigrate.apply(cluster.url(dbname="bench"), MIGRATIONS_DIR)
        report(run(cluster.tcp_url(dbname="bench")))
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
