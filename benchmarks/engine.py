"""The real Pulumi engine's cost: `python benchmarks/engine.py`.

For the local stack (a real PostgreSQL) and a Supabase stack (staging's file with AWS off, against the local
fake Management and Storage APIs and a real PostgreSQL behind its pooler), through the Automation API:
  1. wall time of a no-change `pulumi preview`, with the API calls it made (target: no writes),
  2. wall time of `pulumi up` after one change (the Supabase stack: one function's file; the local stack,
     which has no functions: one new migration file), with the API calls it made.
Each figure is also given as a ratio to the engine-less deployment of the local stack doing the same step
in this process (ops/engineless: the program under mocks, the same providers through the provider host).
Needs a Pulumi CLI (`make install` builds one when Go is there). Takes a few minutes.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.engine import EngineSettings, find_cli, open_stack
from ops.engine.cli import missing_reason
from ops.engineless.deploy import deploy
from ops.localdb import LocalDatabase, free_tcp_port
from tests.engine.supabase_stack import supabase_stack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXTRA_MIGRATION = ("29991231000000_benchmark_probe.sql", "create table public.benchmark_probe (id int);\n")
CHANGED_FUNCTION = "health-check"


def timed(step: Callable[[], Any]) -> float:
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def calls(fake: Any, since: int) -> str:
    made = fake.calls[since:]
    writes = [c for c in made if c.method != "GET" and c.operation != "storage list objects"]
    kinds = Counter(c.operation for c in writes)
    detail = f" ({', '.join(f'{k} x{n}' for k, n in sorted(kinds.items()))})" if kinds else ""
    return f"{len(made)} API calls, {len(writes)} writes{detail}"


def engineless_baseline(cluster: LocalDatabase, workdir: Path) -> tuple[float, float]:
    url = cluster.create_database("bench_engineless")
    migrations = workdir / "engineless-migrations"
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations)
    overrides = {"database": {"localUrl": url, "migrationsDir": str(migrations)}}
    state = workdir / "engineless" / "local.json"
    deploy("local", state, config_overrides=overrides)
    preview = timed(lambda: deploy("local", state, config_overrides=overrides, preview=True))
    (migrations / EXTRA_MIGRATION[0]).write_text(EXTRA_MIGRATION[1])
    up = timed(lambda: deploy("local", state, config_overrides=overrides))
    return preview, up


def engine_local(settings: EngineSettings, cluster: LocalDatabase, workdir: Path) -> tuple[float, float, float]:
    url = cluster.create_database("bench_engine_local")
    migrations = workdir / "engine-migrations"
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations)
    stack = open_stack("local", settings, config={"database": {"localUrl": url, "migrationsDir": str(migrations)}})
    first = timed(stack.up)
    preview = timed(stack.preview)
    (migrations / EXTRA_MIGRATION[0]).write_text(EXTRA_MIGRATION[1])
    up = timed(stack.up)
    return first, preview, up


def engine_supabase(settings: EngineSettings, cluster: LocalDatabase, workdir: Path) -> list[tuple[str, float, str]]:
    cluster.create_database("bench_engine_supabase")
    rows = []
    with supabase_stack(settings, cluster, "bench_engine_supabase", workdir) as deployed:
        fake = deployed.fake
        mark = len(fake.calls)
        rows.append(("first up", timed(deployed.stack.up), calls(fake, mark)))
        mark = len(fake.calls)
        rows.append(("no-change preview", timed(deployed.stack.preview), calls(fake, mark)))
        entry = deployed.functions_dir / CHANGED_FUNCTION / "index.ts"
        entry.write_text(entry.read_text() + "\n// benchmark change\n")
        mark = len(fake.calls)
        rows.append(("up after one changed function", timed(deployed.stack.up), calls(fake, mark)))
    return rows


def main() -> int:
    cli = find_cli()
    if cli is None:
        print(f"benchmarks/engine.py: {missing_reason()}")
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="bench-engine-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    cluster.init()
    try:
        base_preview, base_up = engineless_baseline(cluster, workdir)
        local = EngineSettings(cli=cli, state_dir=workdir / "local", passphrase=secrets.token_urlsafe(16))
        first, preview, up = engine_local(local, cluster, workdir)
        remote = EngineSettings(cli=cli, state_dir=workdir / "supabase", passphrase=secrets.token_urlsafe(16))
        supabase_rows = engine_supabase(remote, cluster, workdir / "supabase-files")
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"Pulumi {cli.version}; baseline: the engine-less local deployment in this process")
    print(f"  engine-less local, no-change preview:        {base_preview:6.2f} s")
    print(f"  engine-less local, up after one migration:   {base_up:6.2f} s")
    print("local stack (database only: no API calls)")
    print(f"  first up:                                    {first:6.2f} s")
    print(f"  no-change preview:                           {preview:6.2f} s  ({preview / base_preview:.1f}x baseline)")
    print(f"  up after one new migration:                  {up:6.2f} s  ({up / base_up:.1f}x baseline)")
    print("supabase stack (staging, AWS off; fake Management/Storage API)")
    for name, seconds, made in supabase_rows:
        ratio = base_preview if "preview" in name else base_up
        print(f"  {name + ':':<45}{seconds:6.2f} s  ({seconds / ratio:.1f}x baseline)  {made}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
