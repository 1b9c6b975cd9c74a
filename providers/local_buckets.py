"""The dynamic provider that keeps one Storage bucket in the local stack's storage.buckets.

Supabase stacks create buckets through the project's Storage API; the local stack has no Storage service,
only its tables, so the bucket row is written over the database connection.

Props (inputs), as every CRUD call receives them:
  connection        the PostgreSQL URL of the local database; a Pulumi secret (a URL may hold a password)
  bucketId          the bucket's id (also its name); changing it replaces the bucket
  public            whether objects are served without a token
  fileSizeLimit     the largest object, in bytes
  allowedMimeTypes  the accepted MIME types; empty: any type
Outputs: the same props, as storage.buckets holds them after the call.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from dbmigrate.connection import describe_target, scrub
from stackconfig.storage import BUCKET_ID_PATTERN, MIME_TYPE_PATTERN

SETTINGS = ("public", "fileSizeLimit", "allowedMimeTypes")

UPSERT = """
insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values (%(id)s, %(id)s, %(public)s, %(limit)s, %(types)s)
on conflict (id) do update
set name = excluded.name, public = excluded.public, file_size_limit = excluded.file_size_limit,
    allowed_mime_types = excluded.allowed_mime_types, updated_at = now()
"""
SELECT = "select public, file_size_limit, allowed_mime_types from storage.buckets where id = %s"


class BucketNotEmpty(RuntimeError):
    """Deleting a bucket that still holds objects would orphan them; the operator empties it first."""


class LocalBucketProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        # Pure: no connection. Values unknown during a preview are not strings/numbers and are skipped.
        failures = []
        bucket_id = news.get("bucketId")
        if isinstance(bucket_id, str) and not re.match(BUCKET_ID_PATTERN, bucket_id):
            failures.append(CheckFailure("bucketId", f"{bucket_id!r} is not a bucket id: use a-z, 0-9, '.', '-', '_'"))
        limit = news.get("fileSizeLimit")
        if isinstance(limit, (int, float)) and (limit <= 0 or int(limit) != limit):
            failures.append(CheckFailure("fileSizeLimit", f"must be a positive whole number of bytes, got {limit}"))
        types = news.get("allowedMimeTypes")
        if isinstance(types, list):
            bad = [t for t in types if isinstance(t, str) and not re.match(MIME_TYPE_PATTERN, t)]
            if bad:
                failures.append(CheckFailure("allowedMimeTypes", f"not MIME types: {', '.join(bad)}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["bucketId"] if olds.get("bucketId") != news.get("bucketId") else []
        changed = replaces or [
            key for key in (*SETTINGS, "connection") if _normal(key, olds.get(key)) != _normal(key, news.get(key))
        ]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=props["bucketId"], outs=_upsert(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_upsert(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with _connect(props["connection"]) as conn:
            row = conn.execute(SELECT, (id_,)).fetchone()
        if row is None:
            # Gone from the database: an empty id tells the engine the resource no longer exists.
            return ReadResult(id_="", outs={})
        public, limit, types = row
        return ReadResult(
            id_=id_,
            outs={
                **props,
                "bucketId": id_,
                "public": bool(public),
                "fileSizeLimit": limit,
                "allowedMimeTypes": list(types or []),
            },
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with _connect(props["connection"]) as conn, conn.transaction():
            # Locks the bucket row, so no object can be added between the count and the delete.
            conn.execute("select 1 from storage.buckets where id = %s for update", (id_,))
            row = conn.execute("select count(*) from storage.objects where bucket_id = %s", (id_,)).fetchone()
            count = row[0] if row is not None else 0  # count(*) always answers one row
            if count:
                raise BucketNotEmpty(
                    f"storage bucket {id_!r} still holds {count} object(s), so it was not deleted; "
                    "empty it first (delete its rows from storage.objects in "
                    f"{describe_target(props['connection'])}) and run again, "
                    "or keep the bucket in storageBuckets"
                )
            conn.execute("delete from storage.buckets where id = %s", (id_,))


def _normal(key: str, value: Any) -> Any:
    if key == "fileSizeLimit" and isinstance(value, float) and value.is_integer():
        return int(value)  # numbers arrive from the engine as floats
    if key == "allowedMimeTypes" and isinstance(value, list):
        return sorted(value)
    return value


def _upsert(props: dict[str, Any]) -> dict[str, Any]:
    types = list(props.get("allowedMimeTypes") or [])
    params = {
        "id": props["bucketId"],
        "public": bool(props.get("public", False)),
        "limit": int(props["fileSizeLimit"]),
        # Supabase's convention: null means any type.
        "types": types or None,
    }
    with _connect(props["connection"]) as conn:
        conn.execute(UPSERT, params)
    return {**props, "public": params["public"], "fileSizeLimit": params["limit"], "allowedMimeTypes": types}


def _connect(url: str) -> psycopg.Connection:
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10, application_name="ai-platform-buckets")
    except psycopg.Error as exc:
        reason = scrub(" ".join(str(exc).split()) or type(exc).__name__, url)
        raise RuntimeError(
            f"cannot connect to the local database {describe_target(url)} to manage storage buckets: "
            f"{reason}. Start it with `python -m ops local-db start`, or fix database.localUrl"
        ) from None


@dataclass(frozen=True, kw_only=True)
class LocalBucketArgs:
    connection: pulumi.Input[str]  # made a secret here: a database URL may carry a password
    bucket_id: str
    public: bool
    file_size_limit: int
    allowed_mime_types: Sequence[str] = ()


class LocalBucket(pulumi.dynamic.Resource, module="storage", name="LocalBucket"):
    bucketId: pulumi.Output[str]
    public: pulumi.Output[bool]
    fileSizeLimit: pulumi.Output[int]
    allowedMimeTypes: pulumi.Output[list[str]]

    def __init__(self, name: str, args: LocalBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "connection": pulumi.Output.secret(args.connection),
            "bucketId": args.bucket_id,
            "public": args.public,
            "fileSizeLimit": args.file_size_limit,
            "allowedMimeTypes": list(args.allowed_mime_types),
        }
        super().__init__(LocalBucketProvider(), name, props, opts)
