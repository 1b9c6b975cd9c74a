"""The local stack's Storage buckets: the rows Supabase's Storage service would keep, in storage.buckets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from providers.local_buckets import LocalBucket, LocalBucketArgs
from stackconfig.model import StackConfig
from stackconfig.storage import BucketConfig


@dataclass(frozen=True, kw_only=True)
class LocalStorageArgs:
    connection: pulumi.Input[str]
    buckets: Sequence[BucketConfig]

    @classmethod
    def from_config(cls, config: StackConfig, connection: pulumi.Input[str]) -> LocalStorageArgs:
        """The stack's `storageBuckets`, kept in the database behind `connection`."""
        return cls(connection=connection, buckets=config.storage_buckets)


class LocalStorage(pulumi.ComponentResource):
    """One LocalBucket per configured bucket. Needs the schema's storage tables, so pass the migrations as a
    dependency (`depends_on`) when the same stack creates them."""

    bucket_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: LocalStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:local_storage:LocalStorage", name, None, opts)
        self.buckets = [
            LocalBucket(
                f"{name}-{bucket.id}",
                LocalBucketArgs(
                    connection=args.connection,
                    bucket_id=bucket.id,
                    public=bucket.public,
                    file_size_limit=bucket.file_size_limit,
                    allowed_mime_types=bucket.allowed_mime_types,
                ),
                pulumi.ResourceOptions(parent=self),
            )
            for bucket in args.buckets
        ]
        self.bucket_ids = pulumi.Output.all(*[bucket.bucketId for bucket in self.buckets])
        self.register_outputs({"bucketIds": self.bucket_ids})
