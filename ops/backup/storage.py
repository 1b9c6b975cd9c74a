"""The storage buckets' objects, copied into the backup bucket incrementally.

The source is anything S3-compatible (Supabase Storage has an S3 endpoint,
`https://<ref>.supabase.co/storage/v1/s3`), behind the small `ObjectStore` interface so the copy is
the same code for backup (Supabase -> backup bucket) and restore (backup bucket -> Supabase).
Copies live under `backups/<stack>/storage/<bucket>/<key>@<source ETag>`, shared by all the stack's
backups and never overwritten; each backup's `storage-index.json` lists the objects (their source ETag,
size and copy) it consists of. An object whose copy is already listed with its size is not copied again,
so each run copies only what changed since the last one, and its index has the database's recovery point.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Protocol

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from ops.backup.errors import BackupError
from ops.backup.layout import legacy_storage_object_key, storage_object_key, storage_prefix
from ops.backup.upload import DEFAULT_PART_SIZE
from ops.object_keys import object_key_problem
from ops.progress import Progress

log = logging.getLogger(__name__)
# S3's ETag of a single-part upload is the body's MD5; a multipart one ends in -<parts> and is not.
_PLAIN_MD5 = re.compile(r"^[0-9a-f]{32}$")
# Streamed in fixed chunks by boto3's transfer manager: memory stays bounded for large objects too.
TRANSFER = TransferConfig(
    multipart_threshold=DEFAULT_PART_SIZE, multipart_chunksize=DEFAULT_PART_SIZE, max_concurrency=2, use_threads=True
)


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    etag: str


class ObjectStore(Protocol):
    def buckets(self) -> list[str]: ...
    def objects(self, bucket: str) -> Iterator[StoredObject]: ...
    def open(self, bucket: str, key: str) -> Any: ...
    def put(self, bucket: str, key: str, body: Any) -> None: ...


class S3ObjectStore:
    """An S3-compatible endpoint seen through a boto3 client; `only_buckets` narrows what is copied."""

    def __init__(self, client: Any, only_buckets: tuple[str, ...] = ()) -> None:
        self._client = client
        self._only = only_buckets

    def buckets(self) -> list[str]:
        if self._only:
            return list(self._only)
        return sorted(b["Name"] for b in self._client.list_buckets().get("Buckets", []))

    def objects(self, bucket: str) -> Iterator[StoredObject]:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                yield StoredObject(bucket, item["Key"], int(item["Size"]), item["ETag"].strip('"'))

    def open(self, bucket: str, key: str) -> Any:
        return self._client.get_object(Bucket=bucket, Key=key)["Body"]

    def put(self, bucket: str, key: str, body: Any) -> None:
        self._client.upload_fileobj(body, bucket, key, Config=TRANSFER)


@dataclass(frozen=True)
class StorageCopyReport:
    index: dict[str, dict[str, Any]]
    copied: int
    skipped: int

    @property
    def total_bytes(self) -> int:
        return sum(int(entry["size"]) for entry in self.index.values())

    def index_json(self) -> bytes:
        return json.dumps({"objects": self.index}, indent=1, sort_keys=True).encode()


def read_index(s3: Any, bucket: str, key: str) -> dict[str, dict[str, Any]]:
    try:
        raw = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return {}
    return dict(json.loads(raw)["objects"])


def check_index_belongs(index: dict[str, dict[str, Any]], stack: str, *, source: str) -> None:
    """Every entry must name the copy this stack's backup makes of that object: an index copied from another
    stack would otherwise put that stack's files back under this one."""
    for name, entry in index.items():
        bucket, key = str(entry.get("bucket")), str(entry.get("key"))
        _refuse_noncanonical(source, name, key)
        expected = storage_object_key(stack, bucket, key, str(entry.get("etag")))
        allowed = {expected, legacy_storage_object_key(stack, bucket, key)}
        if entry.get("backup_key") not in allowed or name != f"{bucket}/{key}":
            raise BackupError(
                f"{source}: entry {name!r} points at {entry.get('backup_key')!r}, not at "
                f"{expected!r} under {storage_prefix(stack)}; nothing was put back. Use another "
                "backup of this stack"
            )


def _refuse_noncanonical(source: str, name: str, key: str) -> None:
    """A restore writes each entry's key back into Storage, which resolves '..': only canonical keys go back."""
    problem = object_key_problem(key)
    if problem is not None:
        raise BackupError(
            f"{source}: entry {name!r}: its object key {problem}, so it could land in another "
            "user's folder; nothing was put back. Use another backup of this stack"
        )


def copy_to_backup(source: ObjectStore, s3: Any, backup_bucket: str, stack: str) -> StorageCopyReport:
    """Copy every source object whose version has no complete copy in the backup bucket yet. An object whose key
    is not canonical (ops/object_keys.py) is left out and named in a warning: no restore may write it back."""
    already = _existing_sizes(s3, backup_bucket, storage_prefix(stack))
    index: dict[str, dict[str, Any]] = {}
    to_copy: list[StoredObject] = []
    for bucket in source.buckets():
        for obj in source.objects(bucket):
            problem = object_key_problem(obj.key)
            if problem is not None:
                log.warning("storage: %s/%r left out of the backup: its key %s", obj.bucket, obj.key, problem)
                continue
            target = storage_object_key(stack, obj.bucket, obj.key, obj.etag)
            index[f"{obj.bucket}/{obj.key}"] = {
                "bucket": obj.bucket,
                "key": obj.key,
                "etag": obj.etag,
                "size": obj.size,
                "backup_key": target,
            }
            if already.get(target) != obj.size:
                to_copy.append(obj)
    # Listed first, copied second: the bytes to copy are known, so the progress line can say how long.
    progress = Progress(
        f"storage: {len(to_copy)} objects into s3://{backup_bucket}", total=sum(o.size for o in to_copy)
    )
    for obj in to_copy:
        with closing(source.open(obj.bucket, obj.key)) as body:
            s3.upload_fileobj(
                body, backup_bucket, storage_object_key(stack, obj.bucket, obj.key, obj.etag), Config=TRANSFER
            )
        progress.advance(obj.size)
    progress.finish()
    copied, skipped = len(to_copy), len(index) - len(to_copy)
    log.info("storage: %d objects copied, %d unchanged", copied, skipped)
    return StorageCopyReport(index=index, copied=copied, skipped=skipped)


def copy_from_backup(index: dict[str, dict[str, Any]], s3: Any, backup_bucket: str, target: ObjectStore) -> int:
    """Put every object of a backup's index back into the target store; returns how many were copied."""
    for name, entry in index.items():
        _refuse_noncanonical("the storage index", name, str(entry.get("key")))
    present: dict[tuple[str, str], int] = {}
    for bucket in sorted({entry["bucket"] for entry in index.values()}):
        present.update({(o.bucket, o.key): o.size for o in _safe_objects(target, bucket)})
    missing = [e for e in index.values() if present.get((e["bucket"], e["key"])) != int(e["size"])]
    progress = Progress(f"storage: {len(missing)} objects put back", total=sum(int(e["size"]) for e in missing))
    for entry in missing:
        with closing(s3.get_object(Bucket=backup_bucket, Key=entry["backup_key"])["Body"]) as body:
            target.put(entry["bucket"], entry["key"], body)
        progress.advance(int(entry["size"]))
    progress.finish()
    return len(missing)


def verify_copies(index: dict[str, dict[str, Any]], s3: Any, backup_bucket: str) -> list[str]:
    """Read every copy a backup's index names back from the backup bucket: it must exist with the object's
    size and, where the source ETag is a plain MD5 (single-part uploads), with its MD5. Returns the problems."""
    problems: list[str] = []
    progress = Progress(f"storage: reading {len(index)} copies back", total=sum(int(e["size"]) for e in index.values()))
    for name, entry in sorted(index.items()):
        try:
            body = s3.get_object(Bucket=backup_bucket, Key=entry["backup_key"])["Body"]
        except ClientError as exc:
            problems.append(
                f"storage object {name}: its copy {entry['backup_key']} cannot be read "
                f"({exc.response.get('Error', {}).get('Code')})"
            )
            continue
        digest, size = hashlib.md5(usedforsecurity=False), 0
        with closing(body):
            for chunk in iter(functools.partial(body.read, 1024 * 1024), b""):
                digest.update(chunk)
                size += len(chunk)
                progress.advance(len(chunk))
        if size != int(entry["size"]):
            problems.append(f"storage object {name}: its copy has {size} bytes, the backup says {entry['size']}")
        elif _PLAIN_MD5.match(str(entry["etag"])) and digest.hexdigest() != entry["etag"]:
            problems.append(
                f"storage object {name}: its copy's MD5 is {digest.hexdigest()}, the object's ETag "
                f"was {entry['etag']} (corrupted)"
            )
    progress.finish()
    return problems


def _existing_sizes(s3: Any, bucket: str, prefix: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                sizes[item["Key"]] = int(item["Size"])
    except ClientError as exc:  # a write-only role cannot list: every object is copied
        log.warning(
            "cannot list the storage copies already in s3://%s/%s (%s); copying every object", bucket, prefix, exc
        )
        return {}
    return sizes


def _safe_objects(store: ObjectStore, bucket: str) -> Iterator[StoredObject]:
    try:
        yield from store.objects(bucket)
    except Exception as exc:
        raise BackupError(
            f"cannot list storage bucket {bucket!r} on the target: {exc}; create it first "
            "(`pulumi up` creates the platform's buckets)"
        ) from exc
