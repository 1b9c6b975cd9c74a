"""A project's Storage API (not in the spec: checked against storage-api's documented shapes), and the Management API's bucket list."""

from __future__ import annotations

import hashlib
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.supabase.fake_api.model import (
    STORAGE_BUCKET_FIELDS,
    Project,
    Reply,
    _now,
    _storage_error,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/storage/buckets", "_list_buckets_management"),
]
# (method, path, operation name, handler): not in the spec
STORAGE_ROUTES = [
    ("GET", "/project/{ref}/storage/v1/bucket", "storage list buckets", "_storage_list"),
    ("POST", "/project/{ref}/storage/v1/bucket", "storage create bucket", "_storage_create"),
    ("GET", "/project/{ref}/storage/v1/bucket/{bucket}", "storage get bucket", "_storage_get"),
    ("PUT", "/project/{ref}/storage/v1/bucket/{bucket}", "storage update bucket", "_storage_update"),
    ("DELETE", "/project/{ref}/storage/v1/bucket/{bucket}", "storage delete bucket", "_storage_delete"),
    ("POST", "/project/{ref}/storage/v1/object/list/{bucket}", "storage list objects", "_storage_objects"),
]


class StorageApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _list_buckets_management(self, params: dict[str, str], *_: Any) -> Any:
        return 200, [
            {"id": b["id"], "name": b["name"], "owner": "", "created_at": b["created_at"],
             "updated_at": b["updated_at"], "public": b["public"]}
            for b in self._project(params).buckets.values()
        ]  # fmt: skip

    def _dispatch_storage(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        body: bytes,
        function: Any,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        project = self.projects.get(params["ref"])
        if project is None:
            return 404, {"message": "no such project"}, headers
        key = project.service_key
        if handler.headers.get("Authorization") != f"Bearer {key}" or handler.headers.get("apikey") != key:
            self.violations.append(f"{method} {path}: Storage API called without the service-role key")
            return 400, _storage_error("403", "Unauthorized", "invalid signature"), headers
        try:
            data = json.loads(body) if body else None
        except ValueError:
            self.violations.append(f"{method} {path}: body is not JSON")
            return 400, _storage_error("400", "InvalidJSON", "body is not JSON"), headers
        try:
            with self._lock:
                status, answer = function(project, params.get("bucket"), data, method, path)
        except Reply as reply:
            return reply.status, reply.body, headers
        return status, answer, headers

    def _storage_validate(self, data: Any, method: str, path: str, *, require_id: bool) -> None:
        problems = []
        if not isinstance(data, dict):
            problems.append("body must be an object")
        else:
            problems += [f"unknown field {key}" for key in set(data) - STORAGE_BUCKET_FIELDS]
            if require_id and not isinstance(data.get("id") or data.get("name"), str):
                problems.append("id (or name) is required")
            if "public" in data and not isinstance(data["public"], bool):
                problems.append("public must be a boolean")
            limit = data.get("file_size_limit")
            if limit is not None and not isinstance(limit, int | str):
                problems.append("file_size_limit must be an integer or a string like '5MB'")
            mimes = data.get("allowed_mime_types")
            if mimes is not None and not (isinstance(mimes, list) and all(isinstance(m, str) for m in mimes)):
                problems.append("allowed_mime_types must be a list of strings")
        if problems:
            self.violations.append(f"{method} {path}: {'; '.join(problems)}")
            raise Reply(400, _storage_error("400", "InvalidRequest", "; ".join(problems)))

    @staticmethod
    def _storage_bucket_view(bucket: dict[str, Any]) -> dict[str, Any]:
        return dict(bucket)

    def _storage_list(self, project: Project, *_: Any) -> Any:
        return 200, [self._storage_bucket_view(b) for b in project.buckets.values()]

    def _storage_create(self, project: Project, _bucket: Any, data: Any, method: str, path: str) -> Any:
        self._storage_validate(data, method, path, require_id=True)
        bucket_id = data.get("id") or data["name"]
        if bucket_id in project.buckets:
            raise Reply(400, _storage_error("409", "Duplicate", "The resource already exists", "BucketAlreadyExists"))
        project.buckets[bucket_id] = {
            "id": bucket_id, "name": data.get("name", bucket_id), "owner": "", "public": data.get("public", False),
            "file_size_limit": data.get("file_size_limit"), "allowed_mime_types": data.get("allowed_mime_types"),
            "created_at": _now(), "updated_at": _now(),
        }  # fmt: skip
        return 200, {"name": bucket_id}

    def _storage_get(self, project: Project, bucket_id: str, *_: Any) -> Any:
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        return 200, self._storage_bucket_view(project.buckets[bucket_id])

    def _storage_update(self, project: Project, bucket_id: str, data: Any, method: str, path: str) -> Any:
        self._storage_validate(data, method, path, require_id=False)
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        project.buckets[bucket_id].update({k: v for k, v in data.items() if k not in ("id", "name")})
        project.buckets[bucket_id]["updated_at"] = _now()
        return 200, {"message": "Successfully updated"}

    def _storage_delete(self, project: Project, bucket_id: str, *_: Any) -> Any:
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        if project.objects.get(bucket_id):
            raise Reply(
                400,
                _storage_error(
                    "409", "InvalidRequest", "The bucket you tried to delete is not empty", "BucketNotEmpty"
                ),
            )
        del project.buckets[bucket_id]
        return 200, {"message": "Successfully deleted"}

    def _storage_objects(self, project: Project, bucket_id: str, data: Any, method: str, path: str) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("prefix"), str):
            self.violations.append(f"{method} {path}: prefix (a string) is required")
            raise Reply(400, _storage_error("400", "InvalidRequest", "prefix is required"))
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        names = [n for n in project.objects.get(bucket_id, []) if n.startswith(data["prefix"])]
        limit, offset = int(data.get("limit", 100)), int(data.get("offset", 0))
        return 200, [{"name": n, "id": hashlib.md5(n.encode()).hexdigest()} for n in names[offset : offset + limit]]
