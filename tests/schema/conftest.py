"""The schema tests share one copy of the migrated database (tests/conftest.py's template) and roll back inside it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from ops.localdb import LocalDatabase
from tests.harness.databases import MIGRATIONS_DIR, copy_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def schema_url(pg_cluster: LocalDatabase, migrated_template: str) -> str:
    """A migrated database shared by the tests that roll their changes back."""
    return copy_database(pg_cluster, migrated_template, "schema_shared")


@pytest.fixture
def db(schema_url: str) -> Iterator[psycopg.Connection]:
    """A connection as postgres inside a transaction that is rolled back after the test."""
    with psycopg.connect(schema_url) as conn:
        conn.execute("begin")
        try:
            yield conn
        finally:
            conn.rollback()


def apply_migrations_before(url: str, migration: str, workdir: Path) -> None:
    """Brings `url` to the state just before `migration` (a file name), as a database deployed earlier is."""
    earlier = workdir / "earlier-migrations"
    earlier.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < migration:
            shutil.copy(path, earlier / path.name)
    dbmigrate.apply(url, earlier)
