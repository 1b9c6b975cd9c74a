"""Supabase Storage's REST API as the lifecycle jobs use it, as service_role: removing objects, and (for exports)
reading one as a stream and writing one from a file.

    GET  {SUPABASE_URL}/storage/v1/object/authenticated/<bucket>/<name>   the bytes
    POST {SUPABASE_URL}/storage/v1/object/<bucket>/<name>   x-upsert: true, the body   -> {"Key": ...}

    DELETE {SUPABASE_URL}/storage/v1/object/<bucket>   {"prefixes": ["<name>", ...]}
    200 [{"name": "<name>", "bucket_id": "<bucket>", ...}, ...]   the objects it removed

Storage removes the bytes and the storage.objects row together (the quota trigger then lowers storage_used); a
name it does not hold is simply absent from the answer, so repeating a delete is harmless. Errors name the
bucket and the HTTP status, never the key or the upstream body.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import IO
from urllib.parse import quote

import requests

from ops.lifecycle.errors import LifecycleError

DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass
class StorageApi:
    base_url: str  # https://<ref>.supabase.co
    service_role_key: str = field(repr=False)
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    calls: int = 0  # how many requests were sent (the benchmark reports it)

    @classmethod
    def from_env(cls) -> StorageApi:
        url, key = os.environ.get("SUPABASE_URL"), os.environ.get("SUPABASE_SERVICE_ROLE_KEY")
        if not url or not key:
            raise LifecycleError(
                "set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (the project's URL and its "
                "service-role key): objects are removed through Storage's API"
            )
        return cls(url, key)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.service_role_key}", "apikey": self.service_role_key}

    def delete_objects(self, bucket: str, names: list[str]) -> set[str]:
        """Removes `names` from `bucket`; returns the names Storage removed (those it held)."""
        if not names:
            return set()
        url = f"{self.base_url.rstrip('/')}/storage/v1/object/{quote(bucket, safe='')}"
        headers = self.headers()
        self.calls += 1
        try:
            response = requests.delete(url, json={"prefixes": names}, headers=headers, timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise LifecycleError(
                f"Storage could not be reached to remove {len(names)} objects from {bucket} "
                f"({type(exc).__name__}); the next run retries them"
            ) from None
        if response.status_code != 200:
            raise LifecycleError(
                f"Storage refused to remove {len(names)} objects from {bucket} "
                f"(HTTP {response.status_code}); the next run retries them"
            )
        try:
            removed = response.json()
            return {str(item["name"]) for item in removed}
        except (ValueError, TypeError, KeyError):
            raise LifecycleError(
                f"Storage answered the removal of objects from {bucket} with something that is "
                "not its list of removed objects"
            ) from None


def _object_url(base_url: str, route: str, bucket: str, name: str) -> str:
    encoded = "/".join(quote(part, safe="") for part in name.split("/"))
    return f"{base_url.rstrip('/')}/storage/v1/object/{route}{quote(bucket, safe='')}/{encoded}"


def download_to(api: StorageApi, bucket: str, name: str, sink: IO[bytes], chunk_size: int = 1 << 20) -> int:
    """Streams `bucket/name` into `sink` (never held whole); returns the bytes written."""
    api.calls += 1
    try:
        with requests.get(
            _object_url(api.base_url, "authenticated/", bucket, name),
            headers=api.headers(),
            stream=True,
            timeout=api.timeout_seconds,
        ) as response:
            if response.status_code != 200:
                raise LifecycleError(f"Storage refused to read {bucket}/{name} (HTTP {response.status_code})")
            written = 0
            for chunk in response.iter_content(chunk_size):
                sink.write(chunk)
                written += len(chunk)
            return written
    except requests.RequestException as exc:
        raise LifecycleError(f"Storage could not be reached to read {bucket}/{name} ({type(exc).__name__})") from None


def upload_file(api: StorageApi, bucket: str, name: str, source: IO[bytes], content_type: str) -> None:
    """Streams `source` to `bucket/name` (replacing an earlier object of that name)."""
    api.calls += 1
    headers = {**api.headers(), "Content-Type": content_type, "x-upsert": "true"}
    try:
        response = requests.post(
            _object_url(api.base_url, "", bucket, name), data=source, headers=headers, timeout=api.timeout_seconds
        )
    except requests.RequestException as exc:
        raise LifecycleError(f"Storage could not be reached to write {bucket}/{name} ({type(exc).__name__})") from None
    if response.status_code != 200:
        refused = StorageWriteRefused(f"Storage refused to write {bucket}/{name} (HTTP {response.status_code})")
        # Storage relays the database's refusal (the quota trigger's "storage limit reached") in its message.
        refused.over_quota = "storage limit" in response.text.lower()
        raise refused


class StorageWriteRefused(LifecycleError):
    over_quota: bool = False
