"""One migrated database per test session; tests copy it or work inside a transaction they roll back."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from ops.localdb import LocalDatabase

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = PROJECT_ROOT / "sql" / "migrations"
TEMPLATE = "schema_migrated"
_copies = itertools.count(1)


@pytest.fixture(scope="session")
def migrated_template(pg_cluster: LocalDatabase) -> str:
    """The name of a database with every migration applied; no connection is left open on it."""
    pg_cluster.create_database(TEMPLATE)
    dbmigrate.apply(pg_cluster.url(dbname=TEMPLATE), MIGRATIONS_DIR)
    return TEMPLATE


@pytest.fixture(scope="session")
def schema_url(pg_cluster: LocalDatabase, migrated_template: str) -> str:
    """A migrated database shared by the tests that roll their changes back."""
    return _copy(pg_cluster, migrated_template, "schema_shared")


@pytest.fixture
def db(schema_url: str) -> Iterator[psycopg.Connection]:
    """A connection as postgres inside a transaction that is rolled back after the test."""
    with psycopg.connect(schema_url) as conn:
        conn.execute("begin")
        try:
            yield conn
        finally:
            conn.rollback()


@pytest.fixture
def migrated_copy(pg_cluster: LocalDatabase, migrated_template: str) -> Iterator[str]:
    """A private copy of the migrated database, for tests that commit."""
    name = f"schema_copy_{next(_copies)}"
    url = _copy(pg_cluster, migrated_template, name)
    try:
        yield url
    finally:
        pg_cluster.drop_database(name)


def _copy(cluster: LocalDatabase, template: str, name: str) -> str:
    cluster.psql(f'create database "{name}" owner postgres template "{template}"')
    cluster.psql(f'alter database "{name}" set search_path to "$user", public, extensions')
    return cluster.url(dbname=name)


def apply_migrations_before(url: str, migration: str, workdir: Path) -> None:
    """Brings `url` to the state just before `migration` (a file name), as a database deployed earlier is."""
    earlier = workdir / "earlier-migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < migration:
            shutil.copy(path, earlier / path.name)
    dbmigrate.apply(url, earlier)
