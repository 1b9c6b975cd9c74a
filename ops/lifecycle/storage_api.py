"""Removing objects through Supabase Storage's REST API, as service_role.

    DELETE {SUPABASE_URL}/storage/v1/object/<bucket>   {"prefixes": ["<name>", ...]}
    200 [{"name": "<name>", "bucket_id": "<bucket>", ...}, ...]   the objects it removed

Storage removes the bytes and the storage.objects row together (the quota trigger then lowers storage_used); a
name it does not hold is simply absent from the answer, so repeating a delete is harmless. Errors name the
bucket and the HTTP status, never the key or the upstream body.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
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
            raise LifecycleError("set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (the project's URL and its "
                                 "service-role key): objects are removed through Storage's API")
        return cls(url, key)

    def delete_objects(self, bucket: str, names: list[str]) -> set[str]:
        """Removes `names` from `bucket`; returns the names Storage removed (those it held)."""
        if not names:
            return set()
        url = f"{self.base_url.rstrip('/')}/storage/v1/object/{quote(bucket, safe='')}"
        headers = {"Authorization": f"Bearer {self.service_role_key}", "apikey": self.service_role_key}
        self.calls += 1
        try:
            response = requests.delete(url, json={"prefixes": names}, headers=headers, timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise LifecycleError(f"Storage could not be reached to remove {len(names)} objects from {bucket} "
                                 f"({type(exc).__name__}); the next run retries them") from None
        if response.status_code != 200:
            raise LifecycleError(f"Storage refused to remove {len(names)} objects from {bucket} "
                                 f"(HTTP {response.status_code}); the next run retries them")
        try:
            removed = response.json()
            return {str(item["name"]) for item in removed}
        except (ValueError, TypeError, KeyError):
            raise LifecycleError(f"Storage answered the removal of objects from {bucket} with something that is "
                                 "not its list of removed objects") from None
