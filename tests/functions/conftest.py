"""The database every functions test module serves from: its own, with every migration applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import dbmigrate
from ops.localdb import LocalDatabase

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"


@pytest.fixture(scope="module")
def migrated_database_url(pg_cluster: LocalDatabase, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database named after the test module, migrated, reached over TCP (postgres is trusted on loopback)."""
    name = f"fn_{request.module.__name__.rsplit('.', 1)[-1]}"
    pg_cluster.create_database(name)
    dbmigrate.apply(pg_cluster.url(dbname=name), MIGRATIONS_DIR)
    try:
        yield pg_cluster.tcp_url(dbname=name)
    finally:
        pg_cluster.drop_database(name)
