"""The Storage buckets of the Supabase project (both guides' buckets), declared once for every stack.

The Supabase stacks create them through the project's Storage API; the local stack upserts them into
storage.buckets. Who may read and write inside them is the schema's business (sql/migrations), not this.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, field_validator

from stackconfig.base import SECTION_CONFIG

# Supabase Storage's bucket ids: lowercase letters, digits, dots, hyphens and underscores.
BUCKET_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}$"
# type/subtype, or a whole type with a wildcard (image/*).
MIME_TYPE_PATTERN = r"^[a-z]+/([a-z0-9][a-z0-9.+-]*|\*)$"
# Supabase's largest upload (the Pro plan's global limit): 500 GB.
MAX_FILE_SIZE_BYTES = 500 * 1000**3


class BucketConfig(BaseModel):
    """One entry of key `storageBuckets` (the resources are providers/supabase/storage_bucket.py's StorageBucket
    and providers/local_buckets.py's LocalBucket)."""

    model_config = SECTION_CONFIG

    id: str = Field(pattern=BUCKET_ID_PATTERN)
    # Public buckets serve every object without a token: only for files meant for anyone (avatars).
    public: bool = False
    file_size_limit: int = Field(gt=0, le=MAX_FILE_SIZE_BYTES, strict=True)
    # Empty: any type. Prefer explicit types, above all in public buckets (an SVG can carry a script).
    allowed_mime_types: tuple[str, ...] = ()

    @field_validator("allowed_mime_types")
    @classmethod
    def _valid_mime_types(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        import re

        bad = [mime for mime in types if not re.match(MIME_TYPE_PATTERN, mime)]
        if bad:
            listed = ", ".join(map(repr, bad))
            raise ValueError(f"not MIME types: {listed}; write type/subtype, e.g. image/png")
        if len(set(types)) != len(types):
            raise ValueError("a MIME type is listed twice")
        return types


def _unique_ids(buckets: tuple[BucketConfig, ...]) -> tuple[BucketConfig, ...]:
    ids = [bucket.id for bucket in buckets]
    duplicates = sorted({bucket_id for bucket_id in ids if ids.count(bucket_id) > 1})
    if duplicates:
        raise ValueError(f"bucket ids must be unique; listed more than once: {', '.join(duplicates)}")
    return buckets


BucketsConfig = Annotated[tuple[BucketConfig, ...], AfterValidator(_unique_ids)]
