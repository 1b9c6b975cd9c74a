"""The publish itself. Order matters for the clients mid-session and for a run that stops halfway:

1. refuse, before anything is written, an asset whose name exists with other bytes (it is cached a year);
2. upload what changed, assets first and index.html last, so the live index never names a missing file;
3. record the release, then invalidate `/`, `/index.html` and the other changed paths outside /assets/;
4. remove what no kept release uses and nobody wrote within the grace period (a run that stopped before
   step 3 left its uploads unrecorded; they are young, so the next run finds and records them).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from ops.publish.build import INDEX, RELEASES_PREFIX, BuildError, BuildFile
from ops.publish.releases import Release, build_id, new_release, read_releases, releases_to_keep

log = logging.getLogger(__name__)
DEFAULT_GRACE = timedelta(hours=48)
# CloudFront's limit of paths per invalidation request.
MAX_PATHS_PER_INVALIDATION = 3000


@dataclass
class PublishReport:
    release: str
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)
    invalidation_ids: list[str] = field(default_factory=list)
    new_release: bool = True


def publish(
    s3: Any,
    cloudfront: Any,
    bucket: str,
    distribution_id: str,
    files: list[BuildFile],
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> PublishReport:
    present = _listing(s3, bucket)
    releases = read_releases(s3, bucket)
    current = releases[-1] if releases else None
    changed = _changed(files, present, current)
    _refuse_rewritten_assets(changed, present, bucket)

    if current is not None and not changed and current.name.endswith(f"-{build_id(files)}"):
        report = PublishReport(release=current.name, unchanged=[f.key for f in files], new_release=False)
        report.deleted = _prune(s3, bucket, releases, present, now, grace)
        return report

    release = new_release(files, now)
    report = PublishReport(release=release.name)
    for file in files:
        if file in changed:
            _upload(s3, bucket, file)
            report.uploaded.append(file.key)
        else:
            report.unchanged.append(file.key)
    s3.put_object(
        Bucket=bucket,
        Key=release.key,
        Body=release.to_json(),
        ContentType="application/json; charset=utf-8",
        CacheControl="no-cache",
    )
    log.info(
        "release %s recorded: %d uploaded, %d unchanged", release.name, len(report.uploaded), len(report.unchanged)
    )

    report.invalidated = invalidation_paths(changed)
    report.invalidation_ids = _invalidate(cloudfront, distribution_id, report.invalidated, release.name)
    report.deleted = _prune(s3, bucket, [*releases, release], _listing(s3, bucket), now, grace)
    return report


def invalidation_paths(changed: list[BuildFile]) -> list[str]:
    """`/` (the default root object) and `/index.html` always; other changed files outside /assets/ (new
    assets have new names, so no cached copy of them exists)."""
    paths = ["/", f"/{INDEX}"]
    paths += [f"/{quote(f.key, safe='/-_.~')}" for f in changed if not f.is_asset and f.key != INDEX]
    return paths


def _changed(files: list[BuildFile], present: dict[str, dict[str, Any]], current: Release | None) -> list[BuildFile]:
    changed: list[BuildFile] = []
    for file in files:
        stored = present.get(file.key)
        same_bytes = stored is not None and stored["etag"] == file.md5 and stored["size"] == file.size
        recorded = current.files.get(file.key) if current is not None else None
        same_headers = recorded is not None and (recorded.get("content_type"), recorded.get("cache_control")) == (
            file.content_type,
            file.cache_control,
        )
        if not (same_bytes and same_headers):
            changed.append(file)
    return changed


def _refuse_rewritten_assets(changed: list[BuildFile], present: dict[str, dict[str, Any]], bucket: str) -> None:
    rewritten = [f.key for f in changed if f.is_asset and f.key in present and present[f.key]["etag"] != f.md5]
    if rewritten:
        shown = ", ".join(rewritten[:5]) + (", ..." if len(rewritten) > 5 else "")
        raise BuildError(
            f"{shown} already in s3://{bucket} with other bytes; /assets/* is cached for a year "
            "by CloudFront and browsers, so a changed file needs a new name: build with Vite's "
            "content hashes in asset names ([name]-[hash]). Nothing was uploaded"
        )


def _upload(s3: Any, bucket: str, file: BuildFile) -> None:
    # Content-MD5 makes S3 refuse a body damaged in transit instead of storing it.
    md5 = base64.b64encode(bytes.fromhex(file.md5)).decode()
    with file.path.open("rb") as body:
        s3.put_object(
            Bucket=bucket,
            Key=file.key,
            Body=body,
            ContentType=file.content_type,
            CacheControl=file.cache_control,
            ContentMD5=md5,
            Metadata={"sha256": file.sha256},
        )


def _invalidate(cloudfront: Any, distribution_id: str, paths: list[str], release: str) -> list[str]:
    ids: list[str] = []
    for start in range(0, len(paths), MAX_PATHS_PER_INVALIDATION):
        batch = paths[start : start + MAX_PATHS_PER_INVALIDATION]
        # The caller reference is the release: CloudFront answers a retried request with the same invalidation.
        answer = cloudfront.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch={
                "Paths": {"Quantity": len(batch), "Items": batch},
                "CallerReference": f"{release}-{start}",
            },
        )
        ids.append(answer["Invalidation"]["Id"])
    return ids


def _prune(
    s3: Any, bucket: str, releases: list[Release], present: dict[str, dict[str, Any]], now: datetime, grace: timedelta
) -> list[str]:
    kept = releases_to_keep(releases, now, grace)
    used = {key for release in kept for key in release.files}
    doomed = [key for key, item in present.items() if key not in used and now - item["modified"] >= grace]
    doomed += [release.key for release in releases if release not in kept]
    for start in range(0, len(doomed), 1000):
        batch = doomed[start : start + 1000]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise BuildError(
                f"the release is live, but removing old files failed ({first.get('Key')}: "
                f"{first.get('Message')}); run the publish again to finish the clean-up"
            )
    return sorted(doomed)


def _listing(s3: Any, bucket: str) -> dict[str, dict[str, Any]]:
    """The bucket's objects outside the release records: ETag, size, last modified."""
    objects: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if not item["Key"].startswith(RELEASES_PREFIX):
                objects[item["Key"]] = {
                    "etag": item["ETag"].strip('"'),
                    "size": int(item["Size"]),
                    "modified": item["LastModified"],
                }
    return objects
