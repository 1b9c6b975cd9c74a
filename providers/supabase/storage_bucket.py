"""One Storage bucket, written through the project's Storage API with the service-role key.

Props:
  managementApiUrl, projectRef, projectUrl (https://<ref>.supabase.co)
  bucketId, public, fileSizeLimit (bytes or None), allowedMimeTypes (list or None)
The service-role key is fetched from the Management API at each call rather than kept as a prop, so it
is never in this resource's state and a rotated key just works. A bucket that already exists is adopted
and brought to the configured settings. A bucket that holds objects is never deleted: the deletion fails
and says so, because deleting it would delete users' files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, as_int, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.errors import SupabaseApiError, SupabaseError, SupabaseNotFound
from providers.supabase.project import pick_api_keys
from providers.supabase.storage_api import StorageClient

BUCKET_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIME_TYPE = re.compile(r"^[a-z]+/([a-z0-9.+-]+|\*)$")


class StorageBucketProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        bucket_id = news.get("bucketId")
        if not is_unknown(bucket_id) and not (isinstance(bucket_id, str) and BUCKET_ID.match(bucket_id)):
            failures.append(CheckFailure("bucketId", "lowercase letters, digits, '.', '_' and '-', 2 to 63 long"))
        limit = news.get("fileSizeLimit")
        if limit is not None and not is_unknown(limit) and (not isinstance(limit, int | float) or limit <= 0):
            failures.append(CheckFailure("fileSizeLimit", "a positive number of bytes, or null for no limit"))
        for mime in news.get("allowedMimeTypes") or []:
            if not is_unknown(mime) and not MIME_TYPE.match(str(mime)):
                failures.append(
                    CheckFailure("allowedMimeTypes", f"{mime!r} is not a MIME type like image/png or image/*")
                )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("public", "fileSizeLimit", "allowedMimeTypes", "projectUrl", "managementApiUrl")
        changes = changed_keys(olds, news, (*keys, "bucketId", "projectRef"))
        return diff_result(changes, replace_keys=("bucketId", "projectRef"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        storage, bucket = self._storage(props), _bucket(props)
        try:
            storage.create_bucket(bucket)
        except SupabaseApiError as exc:
            if exc.status != 409:
                raise
            storage.update_bucket(bucket)  # it already exists: adopt it with the configured settings
        return CreateResult(f"{props['projectRef']}/{props['bucketId']}", _normalized(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._storage(news).update_bucket(_bucket(news))
        return UpdateResult(_normalized(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            actual = self._storage(props).get_bucket(props["bucketId"])
        except SupabaseNotFound:
            return ReadResult(None, {})
        outs = {
            **_normalized(props),
            "public": bool(actual.get("public")),
            "fileSizeLimit": as_int(actual.get("file_size_limit")),
            "allowedMimeTypes": actual.get("allowed_mime_types"),
        }
        return ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        bucket_id = props["bucketId"]
        try:
            storage = self._storage(props)
            if storage.has_objects(bucket_id):
                raise SupabaseError(
                    f"bucket {bucket_id} of project {props['projectRef']} still holds objects, so it was not "
                    "deleted. Back up and empty it (Storage > bucket > select all > delete), then run again"
                )
            storage.delete_bucket(bucket_id)
        except SupabaseNotFound:
            return

    def _storage(self, props: dict[str, Any]) -> StorageClient:
        management = self.management(props)
        _, service_key = pick_api_keys(management.api_keys(props["projectRef"]), props["projectRef"])
        return StorageClient(props["projectUrl"], service_key, redactor=management.redact)


def _bucket(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": props["bucketId"],
        "public": bool(props.get("public")),
        "file_size_limit": as_int(props.get("fileSizeLimit")),
        "allowed_mime_types": props.get("allowedMimeTypes"),
    }


def _normalized(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "fileSizeLimit": as_int(props.get("fileSizeLimit")), "public": bool(props.get("public"))}


@dataclass(frozen=True, kw_only=True)
class StorageBucketArgs:
    project_ref: pulumi.Input[str]
    project_url: pulumi.Input[str]
    bucket_id: str
    public: bool
    file_size_limit: int | None = None
    allowed_mime_types: list[str] | None = None
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class StorageBucket(pulumi.dynamic.Resource, module="supabase", name="StorageBucket"):
    def __init__(self, resource_name: str, args: StorageBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "projectUrl": args.project_url,
            "bucketId": args.bucket_id,
            "public": args.public,
            "fileSizeLimit": args.file_size_limit,
            "allowedMimeTypes": args.allowed_mime_types,
        }
        super().__init__(StorageBucketProvider(), resource_name, props, opts)
