"""Fixtures every test layer shares: one embedded PostgreSQL per test session, prepared like Supabase."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.localdb import LocalDatabase, free_tcp_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_database_names = itertools.count(1)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalDatabase]:
    """A throwaway cluster on a temp socket and a free loopback port, stopped and removed after the session."""
    workdir = Path(tempfile.mkdtemp(prefix="pg-test-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    cluster.init()
    try:
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def fresh_db(pg_cluster: LocalDatabase) -> Iterator[str]:
    """The URL (as the non-superuser owner, postgres) of a brand-new database prepared like Supabase's."""
    name = f"test_{next(_database_names)}"
    url = pg_cluster.create_database(name)
    try:
        yield url
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    """An empty migrations folder a test fills with its own files."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    return folder


def dbname_of(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url)["dbname"])
