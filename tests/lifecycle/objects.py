"""Objects as Storage records them (storage.objects with metadata.size), dated as a test needs."""

from __future__ import annotations

import json

import psycopg

from tests.schema.sessions import new_user


def put_object(
    conn: psycopg.Connection, bucket: str, name: str, size: int = 1000, age_hours: float = 48, owner: str | None = None
) -> None:
    conn.execute(
        "insert into storage.objects (bucket_id, name, owner, metadata, created_at) "
        "values (%s, %s, %s, %s, now() - make_interval(secs => %s))",
        (bucket, name, owner, json.dumps({"size": size, "mimetype": "application/pdf"}), age_hours * 3600),
    )


def add_document(
    conn: psycopg.Connection,
    user: str,
    name: str,
    *,
    status: str = "completed",
    size: int = 1000,
    age_hours: float = 48,
    with_object: bool = True,
) -> tuple[str, str]:
    """A document row (and its object); returns (id, file_path)."""
    path = f"{user}/{name}"
    if with_object:
        put_object(conn, "documents", path, size, age_hours)
    row = conn.execute(
        "insert into public.documents (user_id, title, file_name, file_path, file_size, status, created_at, "
        "updated_at) values (%s, %s, %s, %s, %s, %s, now() - make_interval(secs => %s), "
        "now() - make_interval(secs => %s)) returning id",
        (user, name, name, path, size, status, age_hours * 3600, age_hours * 3600),
    ).fetchone()
    # updated_at is set by a trigger on update only; the insert keeps the given value.
    return str(row[0]), path


def storage_used(conn: psycopg.Connection, user: str) -> int:
    return int(conn.execute("select storage_used from public.profiles where id = %s", (user,)).fetchone()[0])


def object_names(conn: psycopg.Connection, bucket: str) -> set[str]:
    return {row[0] for row in conn.execute("select name from storage.objects where bucket_id = %s", (bucket,))}


__all__ = ["add_document", "new_user", "object_names", "put_object", "storage_used"]
