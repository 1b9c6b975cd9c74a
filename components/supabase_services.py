"""The project's service settings as resources, one per config.toml group: [api] (ApiSettings), [storage]
(StorageSettings), [db.pooler] (PoolerSettings). Only fields the stack sets are sent; null fields are left as
the project has them, and a group with nothing set makes no resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi

from providers.supabase.api_settings import ApiSettings, ApiSettingsArgs
from providers.supabase.pooler_settings import PoolerSettings, PoolerSettingsArgs
from providers.supabase.storage_settings import StorageSettings, StorageSettingsArgs
from stackconfig.supabase_services import SupabaseApiConfig, SupabasePoolerConfig, SupabaseStorageSettingsConfig


@dataclass(frozen=True, kw_only=True)
class ServiceSettingsArgs:
    api: SupabaseApiConfig = field(default_factory=SupabaseApiConfig)
    storage: SupabaseStorageSettingsConfig = field(default_factory=SupabaseStorageSettingsConfig)
    pooler: SupabasePoolerConfig = field(default_factory=SupabasePoolerConfig)
    # The largest bucket's fileSizeLimit: the project's limit when the stack sets none.
    largest_bucket_bytes: int = 0


def api_settings(api: SupabaseApiConfig) -> dict[str, Any]:
    """config.toml's lists become the API's comma-joined strings."""
    settings: dict[str, Any] = {
        "db_schema": ",".join(api.schemas),
        "db_extra_search_path": ",".join(api.extra_search_path),
        "max_rows": api.max_rows,
    }
    if api.db_pool is not None:
        settings["db_pool"] = api.db_pool
    return settings


def storage_settings(storage: SupabaseStorageSettingsConfig, largest_bucket_bytes: int) -> dict[str, Any]:
    limit = int(storage.file_size_limit) if storage.file_size_limit is not None else largest_bucket_bytes
    settings: dict[str, Any] = {"fileSizeLimit": limit} if limit else {}
    for key, value in (("imageTransformation", storage.image_transformation), ("s3Protocol", storage.s3_protocol)):
        if value is not None:
            settings[key] = value
    return settings


def pooler_settings(pooler: SupabasePoolerConfig) -> dict[str, Any]:
    values = {"pool_mode": pooler.pool_mode, "default_pool_size": pooler.default_pool_size}
    return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class ServiceSettings:
    api: ApiSettings
    storage: StorageSettings | None
    pooler: PoolerSettings | None


def service_settings(
    name: str, ref: pulumi.Input[str], api_url: str, args: ServiceSettingsArgs, opts: pulumi.ResourceOptions
) -> ServiceSettings:
    api = ApiSettings(
        f"{name}-api-settings",
        ApiSettingsArgs(project_ref=ref, settings=api_settings(args.api), management_api_url=api_url),
        opts,
    )
    storage_values = storage_settings(args.storage, args.largest_bucket_bytes)
    storage = (
        StorageSettings(
            f"{name}-storage-settings",
            StorageSettingsArgs(project_ref=ref, settings=storage_values, management_api_url=api_url),
            opts,
        )
        if storage_values
        else None
    )
    pooler_values = pooler_settings(args.pooler)
    pooler = (
        PoolerSettings(
            f"{name}-pooler-settings",
            PoolerSettingsArgs(project_ref=ref, settings=pooler_values, management_api_url=api_url),
            opts,
        )
        if pooler_values
        else None
    )
    return ServiceSettings(api, storage, pooler)
