"""Helpers for the operator tests: run the CLI in-process and fingerprint a database's data."""

from __future__ import annotations

import psycopg

from ops.cli import main

USER_SCHEMAS = ("public", "auth", "storage", "supabase_migrations")


def ops(*argv: str) -> int:
    return main([str(arg) for arg in argv])


def storage_backup(s3_endpoint: str, bucket: str, url: str, source_bucket: str, stack: str = "prod") -> int:
    """A backup of the database at `url` and of `source_bucket`, read through moto's S3 as Storage's S3 endpoint."""
    return ops(
        "backup",
        "--stack",
        stack,
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_endpoint,
        "--database-url",
        url,
        "--storage-endpoint-url",
        s3_endpoint,
        "--storage-bucket",
        source_bucket,
    )


def storage_restore(s3_endpoint: str, bucket: str, *extra: str, stack: str = "prod") -> int:
    """Puts a backup's storage objects back (the newest backup unless `extra` names one)."""
    return ops(
        "restore",
        "--stack",
        stack,
        "--bucket",
        bucket,
        "--endpoint-url",
        s3_endpoint,
        *extra,
        "--storage-only",
        "--storage-endpoint-url",
        s3_endpoint,
    )


def table_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every table's row count and an order-independent checksum of its rows' text."""
    result: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url, autocommit=True) as db:
        tables = db.execute(
            "select schemaname, tablename from pg_tables where schemaname = any(%s) order by 1, 2", [list(USER_SCHEMAS)]
        ).fetchall()
        for schema, table in tables:
            row = db.execute(
                f"select count(*), coalesce(md5(string_agg(t::text, '|' order by t::text)), '') "
                f'from "{schema}"."{table}" t'
            ).fetchone()
            result[f"{schema}.{table}"] = (int(row[0]), str(row[1]))
    return result


def scalar(url: str, query: str) -> object:
    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(query).fetchone()[0]


def execute(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(statement)
