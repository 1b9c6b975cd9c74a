"""Release records: `_releases/<UTC stamp>-<id>.json` in the frontend bucket, one per publish, listing every
object that build consists of. They are what lets a publish keep the previous release's assets for clients
still running it, and remove only what no kept release uses."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.publish.build import RELEASES_PREFIX, BuildError, BuildFile

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class Release:
    name: str
    created_at: datetime
    files: dict[str, dict[str, Any]]

    @property
    def key(self) -> str:
        return f"{RELEASES_PREFIX}{self.name}.json"

    def to_json(self) -> bytes:
        return json.dumps(
            {"name": self.name, "created_at": self.created_at.strftime(STAMP_FORMAT), "files": self.files},
            indent=1,
            sort_keys=True,
        ).encode()


def build_id(files: list[BuildFile]) -> str:
    """Same files, same bytes, same headers: same id. A re-published build is recognised as unchanged."""
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.key):
        digest.update(json.dumps([file.key, file.record()], sort_keys=True).encode())
    return digest.hexdigest()[:16]


def new_release(files: list[BuildFile], now: datetime) -> Release:
    return Release(
        name=f"{now.astimezone(UTC).strftime(STAMP_FORMAT)}-{build_id(files)}",
        created_at=now,
        files={f.key: f.record() for f in files},
    )


def read_releases(s3: Any, bucket: str) -> list[Release]:
    """Every release recorded in the bucket, oldest first."""
    releases: list[Release] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=RELEASES_PREFIX):
        for item in page.get("Contents", []):
            raw = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            try:
                data = json.loads(raw)
                releases.append(
                    Release(
                        name=str(data["name"]),
                        files=dict(data["files"]),
                        created_at=datetime.strptime(data["created_at"], STAMP_FORMAT).replace(tzinfo=UTC),
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise BuildError(
                    f"s3://{bucket}/{item['Key']} is not a release record ({exc}); delete it, or "
                    "move it out of the bucket, and publish again"
                ) from exc
    return sorted(releases, key=lambda r: (r.created_at, r.name))


def releases_to_keep(releases: list[Release], now: datetime, grace: timedelta) -> list[Release]:
    """The newest release, and each older one replaced less than `grace` ago: a browser that loaded it
    shortly before the switch still fetches its lazily loaded chunks."""
    if not releases:
        return []
    kept = [releases[-1]]
    for older, newer in itertools.pairwise(releases):
        if now - newer.created_at < grace:
            kept.append(older)
    return sorted(kept, key=lambda r: (r.created_at, r.name))
