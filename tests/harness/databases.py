"""Copies of the session's migrated template database (tests/conftest.py makes it once for every layer)."""

from __future__ import annotations

from pathlib import Path

from ops.localdb import LocalDatabase

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "sql" / "migrations"
TEMPLATE = "schema_migrated"


def copy_database(cluster: LocalDatabase, template: str, name: str) -> str:
    """A new database `name` copied from `template`, with Supabase's search path; returns its URL."""
    cluster.psql(f'create database "{name}" owner postgres template "{template}"')
    cluster.psql(f'alter database "{name}" set search_path to "$user", public, extensions')
    return cluster.url(dbname=name)
