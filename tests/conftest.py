"""Fixtures every test layer shares: one embedded PostgreSQL per test session, prepared like Supabase."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import dbmigrate
from ops.localdb import LocalDatabase, free_tcp_port
from tests.harness.databases import MIGRATIONS_DIR, TEMPLATE, copy_database

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_database_names = itertools.count(1)
_copies = itertools.count(1)
# The session's cluster, for the crash report below.
_session_cluster: LocalDatabase | None = None


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalDatabase]:
    """A throwaway cluster on a temp socket and a free loopback port, stopped and removed after the session."""
    global _session_cluster
    workdir = Path(tempfile.mkdtemp(prefix="pg-test-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    try:
        cluster.init()  # ends with the vector smoke check, so a server built for another CPU stops us here
    except Exception as exc:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.exit(f"the tests' PostgreSQL could not start: {exc}", returncode=1)
    _session_cluster = cluster
    try:
        yield cluster
    finally:
        _session_cluster = None
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """A crashed server fails every later test for no reason of theirs: stop once, with the server's reason."""
    report: pytest.TestReport = yield
    if report.failed and _session_cluster is not None:
        reason = _session_cluster.crash_reason()
        if reason:
            pytest.exit(f"the tests' PostgreSQL server crashed during {item.nodeid}: {reason}", returncode=1)
    return report


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


# Session fixtures live here, once: a layer that imported them into its own conftest would make a second
# instance, which creates the same template database again in the one cluster.
@pytest.fixture(scope="session")
def migrated_template(pg_cluster: LocalDatabase) -> str:
    """The name of a database with every migration applied; no connection is left open on it."""
    pg_cluster.create_database(TEMPLATE)
    dbmigrate.apply(pg_cluster.url(dbname=TEMPLATE), MIGRATIONS_DIR)
    return TEMPLATE


@pytest.fixture
def migrated_copy(pg_cluster: LocalDatabase, migrated_template: str) -> Iterator[str]:
    """A private copy of the migrated database, for tests that commit."""
    name = f"schema_copy_{next(_copies)}"
    url = copy_database(pg_cluster, migrated_template, name)
    try:
        yield url
    finally:
        pg_cluster.drop_database(name)


# The committed staging and prod files take payments: their preview stops without a Stripe API key. CI provides it
# as STRIPE_SECRET_KEY; so do the tests (a test key, never sent anywhere: the endpoint's provider is mocked or
# pointed at a local stand-in). A test of the missing key removes it with monkeypatch.delenv.
TEST_STRIPE_SECRET_KEY = "sk_test_stacks0under0test"


@pytest.fixture(scope="session", autouse=True)
def stripe_secret_key_for_the_stacks() -> Iterator[None]:
    # Session-wide, so that session-scoped program runs (tests/aws/conftest.py) see it too.
    with pytest.MonkeyPatch.context() as patch:
        if "STRIPE_SECRET_KEY" not in os.environ:
            patch.setenv("STRIPE_SECRET_KEY", TEST_STRIPE_SECRET_KEY)
        yield
