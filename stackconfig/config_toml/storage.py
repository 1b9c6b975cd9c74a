"""[storage]: the project's upload size limit, image transformation and the S3 protocol, as the fields of
`supabaseStorageSettings`. Buckets stay key `storageBuckets` (their policies live in migrations)."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import ApiFields, Context, Plain, boolean, convert_table, text
from stackconfig.config_toml.switch import require_enabled

SERVICE = "storage"
TABLE = "storage"
KEYS = {"enabled": Plain("enabled", boolean), "file_size_limit": Plain("file_size_limit", text)}
SUB_GROUPS = ("image_transformation", "s3_protocol")


def read(table: Any, ctx: Context) -> ApiFields:
    out = require_enabled(TABLE, convert_table(TABLE, table, KEYS, ctx, nested=SUB_GROUPS), "Storage")
    for feature in SUB_GROUPS:
        if feature in table:
            switch = convert_table(f"{TABLE}.{feature}", table[feature], {"enabled": Plain(feature, boolean)}, ctx)
            out.merge(switch)
    return out
