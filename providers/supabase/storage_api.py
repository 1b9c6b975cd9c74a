"""A project's Storage API (https://<ref>.supabase.co/storage/v1): the only place buckets can be written.

It authenticates with the project's service-role key and answers most errors with HTTP 400, putting
the real status in the body: `{"statusCode": "409", "error": "Duplicate", "message": "..."}`.
"""

from __future__ import annotations

from typing import Any

import requests

from providers.supabase.errors import Redactor
from providers.supabase.transport import RetryPolicy, Transport


def storage_status(response: requests.Response, body: Any) -> int:
    if response.status_code == 400 and isinstance(body, dict):
        try:
            return int(body.get("statusCode", 400))
        except (TypeError, ValueError):
            return 400
    return response.status_code


class StorageClient:
    def __init__(
        self, project_url: str, service_key: str, *, redactor: Redactor | None = None, policy: RetryPolicy | None = None
    ) -> None:
        self.redact = redactor or Redactor()
        self.redact.add(service_key)
        self._http = Transport(
            base_url=project_url.rstrip("/") + "/storage/v1",
            headers={"Authorization": f"Bearer {service_key}", "apikey": service_key},
            redactor=self.redact,
            policy=policy,
            status_reader=storage_status,
        )

    def get_bucket(self, bucket_id: str) -> dict[str, Any]:
        return self._http.send(
            "GET", f"/bucket/{bucket_id}", operation="read bucket", resource=f"bucket {bucket_id}"
        ).body

    def create_bucket(self, bucket: dict[str, Any]) -> None:
        self._http.send(
            "POST",
            "/bucket",
            operation="create bucket",
            resource=f"bucket {bucket['id']}",
            json={"name": bucket["id"], **bucket},
            # Safe to repeat after a 503, a timeout or a dropped answer: a create that did land answers the
            # repeat with 409, which the provider adopts as "already there".
            idempotent=True,
        )

    def update_bucket(self, bucket: dict[str, Any]) -> None:
        settings = {key: value for key, value in bucket.items() if key != "id"}
        self._http.send(
            "PUT",
            f"/bucket/{bucket['id']}",
            operation="update bucket",
            resource=f"bucket {bucket['id']}",
            json=settings,
        )

    def has_objects(self, bucket_id: str) -> bool:
        listed = self._http.send(
            "POST",
            f"/object/list/{bucket_id}",
            operation="list objects",
            resource=f"bucket {bucket_id}",
            json={"prefix": "", "limit": 1, "offset": 0},
            idempotent=True,  # a read that happens to be a POST
        ).body
        return bool(listed)

    def delete_bucket(self, bucket_id: str) -> None:
        self._http.send(
            "DELETE",
            f"/bucket/{bucket_id}",
            operation="delete bucket",
            resource=f"bucket {bucket_id}",
            hint=f"Storage refuses to delete a bucket that holds objects: back up and empty {bucket_id} first.",
        )
