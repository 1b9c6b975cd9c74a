"""The project's service settings, grouped as `supabase/config.toml` groups them: key `supabaseApi` ([api], the
Data API), key `supabaseStorageSettings` ([storage]) and key `supabasePooler` ([db.pooler]). The database's own
settings, SSL enforcement and network restrictions are key `supabaseDatabase` (stackconfig/supabase.py).

A null field is left as the project has it; a set field is applied and its drift seen on `pulumi refresh`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ByteSize, Field

from stackconfig.base import SECTION_CONFIG

# A schema name PostgREST can expose: the API takes them joined by commas, so none may hold a comma or space.
SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
# Schemas Supabase keeps to itself: exposing them through the Data API would publish auth's and storage's tables.
INTERNAL_SCHEMAS = frozenset({"auth", "storage", "extensions", "private", "pgbouncer", "realtime", "supabase_functions",
                              "vault", "cron", "net", "pg_catalog", "information_schema"})  # fmt: skip
MAX_STORAGE_FILE_SIZE = 536_870_912_000  # the Management API's maximum (500 GiB)


def _schema_names(exposed: bool) -> AfterValidator:
    def check(names: tuple[str, ...]) -> tuple[str, ...]:
        bad = [name for name in names if not SCHEMA_NAME.match(name)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not a schema name (letters, digits, _ and $)")
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"{', '.join(duplicates)} listed twice")
        internal = sorted(set(names) & INTERNAL_SCHEMAS) if exposed else []
        if internal:
            raise ValueError(
                f"{', '.join(internal)}: Supabase's own schema, whose tables would be readable through the Data API; "
                "expose only the schemas of the platform (public, graphql_public)"
            )
        return names

    return AfterValidator(check)


class SupabaseApiConfig(BaseModel):
    """Key `supabaseApi`: config.toml's [api]."""

    model_config = SECTION_CONFIG

    schemas: Annotated[tuple[str, ...], _schema_names(exposed=True), Field(min_length=1)] = ("public", "graphql_public")
    extra_search_path: Annotated[tuple[str, ...], _schema_names(exposed=False)] = ("public", "extensions")
    # Rows one Data API request returns at most: a client asking for a whole table gets this many.
    max_rows: int = Field(default=1000, ge=1, le=1_000_000)
    # The Data API's own connections to the database; None: sized by the compute add-on.
    db_pool: int | None = Field(default=None, ge=1, le=1000)


class SupabaseStorageSettingsConfig(BaseModel):
    """Key `supabaseStorageSettings`: config.toml's [storage]. fileSizeLimit takes bytes or a size ("50MiB")."""

    model_config = SECTION_CONFIG

    # None: the largest bucket's fileSizeLimit (a bucket's own limit cannot raise the project's).
    file_size_limit: ByteSize | None = None
    # The storage CDN serves Supabase's image renders (components/storage_cdn.py): on.
    image_transformation: bool | None = True
    # Nothing here reaches the buckets with S3 access keys, which bypass the buckets' row-level policies: off.
    s3_protocol: bool | None = False

    def limit_problem(self, largest_bucket: int, key: str = "supabaseStorageSettings.fileSizeLimit") -> str | None:
        """`key`: where the limit was written (config.toml's [storage] file_size_limit, or the stack key)."""
        if self.file_size_limit is None:
            return None
        if not 0 < self.file_size_limit <= MAX_STORAGE_FILE_SIZE:
            return f"{key}: {self.file_size_limit} bytes is outside 1..500GiB"
        if self.file_size_limit < largest_bucket:
            return (
                f"{key}: {self.file_size_limit} bytes is below a bucket's "
                f"fileSizeLimit ({largest_bucket} bytes); uploads that bucket allows would be refused. Raise it to "
                f"at least {largest_bucket}, or remove it to use the largest bucket's limit"
            )
        return None


class SupabasePoolerConfig(BaseModel):
    """Key `supabasePooler`: config.toml's [db.pooler] (the shared Supavisor pooler)."""

    model_config = SECTION_CONFIG

    pool_mode: Literal["transaction", "session"] | None = None
    default_pool_size: int | None = Field(default=None, ge=1, le=3000)
