"""A `pulumi up` killed mid-deploy (SIGKILL to its whole process group: out of memory, a lost CI runner) leaves a
lock, a pending create and, in some kills, a 0-byte `<stack>.json.attrs` that makes every command fail with
`failed to load checkpoint: EOF`. `python -m ops recover-stack` says what it found, and with --apply backs up the
state and recovers it; the next `up` finishes the deploy. `make local` (`ops local-up`) shows the CLI's own
message when a stack is left locked."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time

import psutil
import psycopg
import pytest

from tests.plain_cli.checkout import PlainCheckout

SLOW = ("29991231000000_slow_probe.sql", "create table public.slow_probe (id int);\nselect pg_sleep(300);\n")
FAST = "create table public.slow_probe (id int);\n"


def _migration_sleeping(url: str) -> bool:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from pg_stat_activity where query like %s and pid <> pg_backend_pid()",
            ("%pg_sleep(300)%",),
        ).fetchone()
    return bool(row and row[0])


def _kill_up_during_the_migration(checkout: PlainCheckout, url: str) -> None:
    command = ["pulumi", "up", "--yes", "--stack", checkout.stack, "--non-interactive"]
    running = subprocess.Popen(
        command,
        cwd=checkout.root,
        env=checkout.env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not _migration_sleeping(url):
            assert running.poll() is None, "up ended before it could be killed"
            assert time.monotonic() < deadline, "up never reached the slow migration"
            time.sleep(0.5)
    finally:
        # A lost runner: the CLI and everything it started at once (the engine starts each plugin, the language
        # host and the provider host, in a process group of its own, so the group of the CLI is not enough).
        everything = [running.pid, *(child.pid for child in psutil.Process(running.pid).children(recursive=True))]
        for pid in everything:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        running.wait()


@pytest.mark.timeout(900)
def test_killed_up_is_diagnosed_backed_up_and_recovered(plain_cli, fresh_db, tmp_path):
    checkout = PlainCheckout.create(plain_cli, tmp_path, "local")
    migration = checkout.root / "sql" / "migrations" / SLOW[0]
    migration.write_text(SLOW[1])
    checkout.run("stack", "init")
    checkout.run("config", "set", "--path", "database.localUrl", fresh_db)
    _kill_up_during_the_migration(checkout, fresh_db)

    stacks = checkout.backend / ".pulumi" / "stacks" / "ai-platform"
    checkpoint = stacks / "local.json"
    (stacks / "local.json.attrs").write_bytes(b"")  # what 4 of 17 kills during function deploys left
    before = checkpoint.read_bytes()
    refused = checkout.run("up", "--yes", check=False)
    assert refused.returncode != 0 and "failed to load checkpoint: EOF" in refused.stdout + refused.stderr

    diagnosed = checkout.ops("recover-stack", "--stack", "local")
    assert diagnosed.returncode == 0, diagnosed.stderr
    assert "broken attributes file" in diagnosed.stdout and "local.json.attrs" in diagnosed.stdout
    assert "(stale)" in diagnosed.stdout and "pending creating: platform-db-migrations" in diagnosed.stdout
    assert "would run: pulumi cancel --yes --stack local" in diagnosed.stdout
    assert (stacks / "local.json.attrs").exists() and checkpoint.read_bytes() == before  # only read

    recovered = checkout.ops("recover-stack", "--stack", "local", "--apply")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    [backup] = (checkout.backend / "recovery-backups").iterdir()
    assert (backup / ".pulumi" / "stacks" / "ai-platform" / "local.json").read_bytes() == before
    assert (backup / ".pulumi" / "stacks" / "ai-platform" / "local.json.attrs").read_bytes() == b""
    assert "nothing to recover" in checkout.ops("recover-stack", "--stack", "local").stdout
    assert not json.loads(checkpoint.read_text())["checkpoint"]["latest"].get("pending_operations")

    # The killed file was rolled back and is not applied yet, so it may change; the next up finishes the deploy.
    migration.write_text(FAST)
    checkout.run("up", "--yes")
    checkout.run("preview", "--expect-no-changes")
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        assert conn.execute(
            "select count(*) from supabase_migrations.schema_migrations where version = %s", (SLOW[0][:14],)
        ).fetchone() == (1,)


def test_local_up_shows_the_clis_own_message_on_a_locked_stack(plain_cli, tmp_path):
    checkout = PlainCheckout.create(plain_cli, tmp_path, "local")
    env = {k: v for k, v in checkout.env.items() if k not in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE")}
    checkout.env = env
    # A stale lock, as a killed `make local` leaves it (a pid that no longer runs).
    locks = checkout.root / ".local" / "pulumi" / "backend" / ".pulumi" / "locks" / "organization" / "ai-platform"
    (locks / "local").mkdir(parents=True)
    (locks / "local" / "0a1b2c3d.json").write_text(
        json.dumps({"pid": 4_000_000, "username": "ci", "hostname": "lost-runner", "timestamp": "2026-01-01T00:00:00Z"})
    )

    result = checkout.ops("local-up")

    assert result.returncode == 1
    shown = result.stdout + result.stderr
    assert "the stack is currently locked by 1 lock(s)" in shown, shown
    assert "lost-runner" in shown and "ops recover-stack --stack local" in shown
