"""The local stack's Storage buckets: the rows Supabase's Storage service would keep, in storage.buckets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
from pulumi.dynamic import Resource

from providers.local_buckets import LocalBucketProvider
from stackconfig.storage import StorageBucket


@dataclass(frozen=True, kw_only=True)
class LocalStorageArgs:
    connection: pulumi.Input[str]
    buckets: Sequence[StorageBucket]


class LocalBucket(Resource, module="storage", name="LocalBucket"):
    bucketId: pulumi.Output[str]
    public: pulumi.Output[bool]
    fileSizeLimit: pulumi.Output[int]
    allowedMimeTypes: pulumi.Output[list[str]]

    def __init__(
        self, name: str, props: dict[str, object], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(LocalBucketProvider(), name, props, opts)


class LocalStorage(pulumi.ComponentResource):
    """One LocalBucket per configured bucket. Needs the schema's storage tables, so pass the migrations as a
    dependency (`depends_on`) when the same stack creates them."""

    bucket_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: LocalStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:local_storage:LocalStorage", name, None, opts)
        # Forced secret where it enters: a database URL may carry a password.
        connection = pulumi.Output.secret(args.connection)
        self.buckets = [
            LocalBucket(
                f"{name}-{bucket.id}",
                {
                    "connection": connection,
                    "bucketId": bucket.id,
                    "public": bucket.public,
                    "fileSizeLimit": bucket.file_size_limit,
                    "allowedMimeTypes": list(bucket.allowed_mime_types),
                },
                pulumi.ResourceOptions(parent=self),
            )
            for bucket in args.buckets
        ]
        self.bucket_ids = pulumi.Output.all(*[bucket.bucketId for bucket in self.buckets])
        self.register_outputs({"bucketIds": self.bucket_ids})
