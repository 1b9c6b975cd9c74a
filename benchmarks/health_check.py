"""health-check speed against guide 000's static health check: `.venv/bin/python benchmarks/health_check.py`.

The claim: fast enough for a health checker every 30 seconds (Route53 wants an answer within 2 s of connecting).
In one run, a Deno process (benchmarks/health_check_server.ts) serves on loopback, each like index.ts does:
guide 000 section 7.5's static JSON answer (the baseline), functions/health-check with HEALTH_CACHE_SECONDS=0
(every request checks the database, Storage and three AI providers), the same with its default cache, and one
whose OpenAI hangs. The checks reach a migrated embedded PostgreSQL and the test suite's loopback fakes, which
answer at once: the figures are the function's own cost, not a real provider's round trip (capped by the
1500 ms deadline in production).

Prints latency p50/p95/max over sequential GETs (a new connection each, as a health checker makes; the three
servers interleaved so none runs on a warmer machine), throughput with concurrent keep-alive clients, each as a
ratio to the baseline, and the time of a request while one AI provider hangs. Takes about half a minute.
Throughput of the baseline is bounded by this Python client (one core, the GIL), so its ratios understate the gap.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port
from tests.functions.conftest import MIGRATIONS_DIR
from tests.functions.deno import DENO, MISSING_DENO, start_script, stop_script

SERVER_SCRIPT = "benchmarks/health_check_server.ts"
READY_MARKER = "HEALTH_BENCH_READY"
START_TIMEOUT_SECONDS = 60
WARM_UP_REQUESTS = 20
SEQUENTIAL_REQUESTS = 200
CLIENTS = 10
THROUGHPUT_SECONDS = 3.0
HANG_REQUESTS = 3
ROUTE53_BUDGET_MS = 2000
MEASURED = {
    "baseline": "guide 7.5 (baseline)",
    "no_cache": "health-check, no cache",
    "cached": "health-check, cache 10 s",
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    ms: float


def get(url: str, connection: http.client.HTTPConnection | None = None) -> Answer:
    """One GET; on a new connection unless one is given (kept alive for the next call)."""
    parts = urlsplit(url)
    started = time.perf_counter()
    conn = connection or http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("GET", parts.path)
        response = conn.getresponse()
        body = response.read()
    finally:
        if connection is None:
            conn.close()
    return Answer(response.status, body, (time.perf_counter() - started) * 1000)


def is_healthy(answer: Answer) -> bool:
    return answer.status == 200 and json.loads(answer.body).get("status") == "healthy"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class Sequential:
    latencies: dict[str, list[float]]
    # Each run of the checks stamps its report, so distinct timestamps count the runs behind the answers.
    runs: dict[str, set[str]]
    problems: list[str]


def sequential_latencies(urls: dict[str, str]) -> Sequential:
    """Milliseconds per request, per server; requests alternate between servers, rotating who goes first."""
    names = list(MEASURED)
    for _ in range(WARM_UP_REQUESTS):
        for name in names:
            get(urls[name])
    result = Sequential({name: [] for name in names}, {name: set() for name in names}, [])
    for i in range(SEQUENTIAL_REQUESTS):
        for name in names[i % 3 :] + names[: i % 3]:
            answer = get(urls[name])
            result.latencies[name].append(answer.ms)
            if is_healthy(answer):
                result.runs[name].add(json.loads(answer.body)["timestamp"])
            else:
                result.problems.append(f"{name}: HTTP {answer.status} {answer.body[:200]!r}")
    return result


def throughput(url: str) -> tuple[float, list[float], int]:
    """Requests per second with CLIENTS concurrent keep-alive clients for THROUGHPUT_SECONDS; latencies; errors."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)
    deadline = [0.0]

    def client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, failed = [], 0
        start.wait()
        while time.perf_counter() < deadline[0]:
            answer = get(url, conn)
            mine.append(answer.ms)
            failed += answer.status != 200
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + THROUGHPUT_SECONDS
    start.wait()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), latencies, errors[0]


def print_latency(sequential: Sequential) -> None:
    latencies = sequential.latencies
    base = {
        "p50": statistics.median(latencies["baseline"]),
        "p95": percentile(latencies["baseline"], 0.95),
        "max": max(latencies["baseline"]),
    }
    print(f"\nlatency, {SEQUENTIAL_REQUESTS} sequential GETs each (new connection per request), ms:")
    print(f"  {'':26} {'p50':>7} {'p95':>7} {'max':>7}   {'p50 x':>6} {'p95 x':>6} {'max x':>6}")
    for name, label in MEASURED.items():
        values = latencies[name]
        mine = {"p50": statistics.median(values), "p95": percentile(values, 0.95), "max": max(values)}
        ratios = " ".join(f"{mine[k] / base[k]:6.1f}" for k in ("p50", "p95", "max"))
        print(f"  {label:26} {mine['p50']:7.2f} {mine['p95']:7.2f} {mine['max']:7.2f}   {ratios}")
    runs = ", ".join(f"{name} {len(sequential.runs[name])}" for name in ("no_cache", "cached"))
    print(f"  runs of the checks behind the {SEQUENTIAL_REQUESTS} answers (distinct report timestamps): {runs}")


def print_throughput(results: dict[str, tuple[float, list[float], int]]) -> None:
    base_rate = results["baseline"][0]
    print(f"\nthroughput, {CLIENTS} concurrent keep-alive clients for {THROUGHPUT_SECONDS:.0f} s each:")
    print(f"  {'':26} {'req/s':>7} {'x base':>7} {'p50 ms':>7} {'p95 ms':>7} {'errors':>7}")
    for name, label in MEASURED.items():
        rate, latencies, errors = results[name]
        print(
            f"  {label:26} {rate:7.0f} {rate / base_rate:7.2f} {statistics.median(latencies):7.2f} "
            f"{percentile(latencies, 0.95):7.2f} {errors:7d}"
        )


def print_hang(answers: list[Answer]) -> None:
    reports = [json.loads(a.body) for a in answers]
    openai = reports[-1]["checks"]["ai_providers"]["openai"]
    deadline = re.search(r"timed out after (\d+) ms", openai.get("error", ""))
    deadline_ms = int(deadline.group(1)) if deadline else None
    times = ", ".join(f"{a.ms:.0f}" for a in answers)
    print(
        f"\nOpenAI hangs (no cache), {len(answers)} requests: {times} ms; answer HTTP {answers[-1].status} "
        f"{reports[-1]['status']}, openai {openai['status']} ({openai.get('error')})"
    )
    print(
        f"  per-check deadline {deadline_ms} ms -> worst request overshoots it by "
        f"{max(a.ms for a in answers) - (deadline_ms or 0):.0f} ms; Route53 budget {ROUTE53_BUDGET_MS} ms, "
        f"headroom {ROUTE53_BUDGET_MS - max(a.ms for a in answers):.0f} ms"
    )


def main() -> None:
    if not DENO.exists():
        sys.exit(MISSING_DENO)
    work = Path(tempfile.mkdtemp(prefix="bench-health-"))
    cluster = LocalDatabase(work / "cluster", free_tcp_port())
    process = None
    try:
        cluster.init()
        cluster.create_database("health_bench")
        dbmigrate.apply(cluster.url(dbname="health_bench"), MIGRATIONS_DIR)
        process, urls = start_script(
            SERVER_SCRIPT,
            "functions,tests/functions,benchmarks",
            cluster.tcp_url(dbname="health_bench"),
            work / "server.log",
            READY_MARKER,
            START_TIMEOUT_SECONDS,
        )
        began = time.perf_counter()

        sequential = sequential_latencies(urls)
        rates = {name: throughput(urls[name]) for name in MEASURED}
        hangs = [get(urls["openai_hangs"]) for _ in range(HANG_REQUESTS)]

        print(
            f"health-check vs guide 000 section 7.5, Deno on loopback, checks against fakes and PostgreSQL "
            f"(measured in {time.perf_counter() - began:.0f} s)"
        )
        print_latency(sequential)
        print_throughput(rates)
        print_hang(hangs)
        if sequential.problems:
            print(f"\nWARNING: {len(sequential.problems)} answers were not 200 healthy, e.g. {sequential.problems[0]}")
    finally:
        if process is not None:
            stop_script(process)
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
