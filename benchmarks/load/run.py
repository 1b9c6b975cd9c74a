"""`make load`: guide 000's k6 load test (benchmarks/load/scenario.js) against the functions, with figures.

    .venv/bin/python benchmarks/load/run.py [--scratch] [--peak-vus 100] [--ramp-up 2m --hold 5m --ramp-down 2m]
    .venv/bin/python benchmarks/load/run.py --target https://<ref>.supabase.co/functions/v1   (staging)

Locally it serves the functions with `ops functions serve`'s module (AI stand-ins answering in 300-1500 ms,
embeddings in 50-200 ms) against the local stack's database, or with --scratch against a throwaway embedded
PostgreSQL with every migration; seeds one business-tier user per virtual user; starts the bare handlers
(baseline.ts: each function's own database work without gateway, frame, rate limit or providers); runs k6 and
prints per function p50/p95/p99, throughput and error rate, and its p95 as a ratio to its bare twin's p95 in the
same run, then the database's peak connections and CPU and the functions' peak memory. Exit 1 when any request failed.

Against --target (staging) it signs the test user in (SUPABASE_URL, SUPABASE_ANON_KEY, LOAD_EMAIL, LOAD_PASSWORD)
and prints the function figures only: the database's figures are on the project's dashboard.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import dbmigrate
from benchmarks.load.report import format_table, function_figures, total_errors
from benchmarks.load.seed import seed
from benchmarks.load.watch import Usage, Watcher
from ops.functions_serve import (
    DENO,
    PROJECT_ROOT,
    jwt_secret,
    local_database_url,
    start_serving,
    stop_serving,
)
from ops.localdb import LocalDatabase, free_tcp_port

K6_LOCAL = PROJECT_ROOT / ".local" / "bin" / "k6"
SCENARIO = "benchmarks/load/scenario.js"
MIGRATIONS_DIR = PROJECT_ROOT / "sql" / "migrations"


def k6_binary() -> str | None:
    """k6 as `make install` builds it (.local/bin), else one on PATH."""
    return str(K6_LOCAL) if K6_LOCAL.exists() else shutil.which("k6")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="benchmarks/load/run.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--target", help="a deployed project's .../functions/v1 (no local serving)")
    parser.add_argument("--scratch", action="store_true", help="a throwaway database instead of the local stack's")
    parser.add_argument("--database-url", help="default: database.localUrl of Pulumi.local.yaml")
    parser.add_argument("--peak-vus", type=int, default=100)
    parser.add_argument("--ramp-up", default="2m")
    parser.add_argument("--hold", default="5m")
    parser.add_argument("--ramp-down", default="2m")
    parser.add_argument("--think-seconds", type=float, default=1.0)
    parser.add_argument("--ai-latency-ms", default="300-1500", help="the AI stand-in's answer time, MIN-MAX")
    parser.add_argument("--embedding-latency-ms", default="50-200")
    parser.add_argument(
        "--bare-share", type=float, default=0.25, help="the share of each function's calls repeated on its bare twin"
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    workdir = Path(tempfile.mkdtemp(prefix="load-db-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    cluster.init()
    try:
        cluster.create_database("load")
        dbmigrate.apply(cluster.url(dbname="load"), MIGRATIONS_DIR)
        yield cluster.tcp_url(dbname="load")
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def baseline_server(database_url: str, log: Path) -> Iterator[str]:
    command = [
        str(DENO),
        "run",
        "--no-prompt",
        "--allow-net",
        "--allow-env",
        "--allow-read=benchmarks,functions,tests/functions",
        "benchmarks/load/baseline.ts",
    ]
    env = {**os.environ, "SUPABASE_DB_URL": database_url, "NO_COLOR": "1"}
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield _wait_ready(process, log, "BASELINE_READY")["url"]
    finally:
        stop_serving(process)


def _wait_ready(process: subprocess.Popen[bytes], log: Path, marker: str) -> dict[str, str]:
    for _ in range(600):
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith(marker):
                return json.loads(line[len(marker) :])
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"{marker} never came:\n{log.read_text(errors='replace')[-2000:]}")


def run_k6(k6: str, env: dict[str, str], summary_file: Path) -> dict:
    env = {**os.environ, **env, "SUMMARY_FILE": str(summary_file)}
    subprocess.run([k6, "run", "--quiet", "--no-usage-report", SCENARIO], cwd=PROJECT_ROOT, env=env, check=False)
    if not summary_file.exists():
        raise RuntimeError("k6 wrote no summary: see its output above")
    return json.loads(summary_file.read_text())


def stage_env(args: argparse.Namespace) -> dict[str, str]:
    return {
        "PEAK_VUS": str(args.peak_vus),
        "RAMP_UP": args.ramp_up,
        "HOLD": args.hold,
        "RAMP_DOWN": args.ramp_down,
        "THINK_SECONDS": str(args.think_seconds),
        "BARE_SHARE": str(args.bare_share),
    }


def run_local(args: argparse.Namespace, k6: str, workdir: Path) -> tuple[dict, Usage]:
    with (
        scratch_database()
        if args.scratch
        else contextlib.nullcontext(args.database_url or local_database_url()) as database_url
    ):
        return run_served(database_url, args, k6, workdir)


def run_served(database_url: str, args: argparse.Namespace, k6: str, workdir: Path) -> tuple[dict, Usage]:
    """Seeds, serves the functions and the baseline, and runs the scenario while the watcher samples."""
    users = seed(database_url, args.peak_vus, jwt_secret())
    users_file = workdir / "users.json"
    users_file.write_text(json.dumps(users))
    webhook_secret = f"whsec_load_{secrets.token_hex(16)}"
    environ = {
        **os.environ,
        "AI_STAND_IN_LATENCY_MS": args.ai_latency_ms,
        "EMBEDDING_STAND_IN_LATENCY_MS": args.embedding_latency_ms,
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_SECRET_KEY": "sk_test_load_not_used",
    }
    process, ready = start_serving(database_url, free_tcp_port(), workdir / "functions.log", environ)
    try:
        with baseline_server(database_url, workdir / "baseline.log") as baseline_url:
            port = urlsplit(database_url).port or 5432
            watcher = Watcher(database_url, port, process.pid).start()
            try:
                summary = run_k6(
                    k6,
                    {
                        **stage_env(args),
                        "BASE_URL": f"{ready['url']}/functions/v1",
                        "USERS_FILE": str(users_file),
                        "STRIPE_WEBHOOK_SECRET": webhook_secret,
                        "BASELINE_URL": baseline_url,
                    },
                    workdir / "summary.json",
                )
            finally:
                usage = watcher.stop()
    finally:
        stop_serving(process)
    return summary, usage


def machine() -> str:
    """The CPU and how busy the machine was otherwise: figures from a shared machine are read against its load."""
    model = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs ({model}), load average {load:.1f} at the end"


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    k6 = k6_binary()
    if not k6:
        print("k6 is missing: `make install` builds it into .local/bin (needs Go)")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="load-run-"))
    try:
        if args.target:
            summary = run_k6(k6, {**stage_env(args), "BASE_URL": args.target.rstrip("/")}, workdir / "summary.json")
            usage = None
        else:
            summary, usage = run_local(args, k6, workdir)
        figures = function_figures(summary)
        print(
            f"\n{args.peak_vus} virtual users (ramp {args.ramp_up}, hold {args.hold}, down {args.ramp_down}) on "
            f"{machine()}"
        )
        print(format_table(figures))
        if usage:
            print(
                f"database: peak {usage.peak_connections} connections, CPU peak {usage.peak_cpu_percent:.0f}% "
                f"mean {usage.mean_cpu_percent:.0f}% of one core; functions: peak {usage.peak_functions_rss_mb:.0f}"
                " MB resident"
            )
        errors = total_errors(figures)
        if errors:
            print(f"{errors} requests failed (run with LOG_ERRORS=1 to see them)")
        return 1 if errors else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
