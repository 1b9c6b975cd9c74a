"""Cost of a Stripe webhook delivery in subscription-manager: `.venv/bin/python benchmarks/webhooks.py [N]`.

Starts an embedded PostgreSQL with every migration and runs benchmarks/webhooks.ts in Deno against it: the
signature check alone (the baseline), a new event (verified, recorded once, subscription and payment written in
one transaction), a replay (answered duplicate) and an older event of a canceled subscription, each as a ratio to
the baseline. Takes about half a minute.
"""

from __future__ import annotations

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


def main() -> int:
    if not DENO.exists():
        print(MISSING_DENO)
        return 1
    workdir = Path(tempfile.mkdtemp(prefix="webhook-bench-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    cluster.init()
    try:
        cluster.create_database("bench")
        dbmigrate.apply(cluster.url(dbname="bench"), MIGRATIONS_DIR)
        command = [
            str(DENO),
            "run",
            "--allow-net=127.0.0.1,localhost",
            f"--allow-env={','.join(ALLOWED_ENV)}",
            "--allow-read=functions,tests/functions,benchmarks",
            "--no-prompt",
            "benchmarks/webhooks.ts",
            *sys.argv[1:],
        ]
        return subprocess.run(command, cwd=PROJECT_ROOT, env=deno_env(cluster.tcp_url(dbname="bench"))).returncode
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
