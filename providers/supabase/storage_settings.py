"""The project's Storage service settings, config.toml's [storage]: the largest file any bucket accepts, image
transformations, and the S3 protocol (S3 clients reaching the buckets with S3 access keys).

Settings: fileSizeLimit (bytes, up to 500 GB), imageTransformation (bool), s3Protocol (bool). The API nests the
two features ({"features": {"imageTransformation": {"enabled": ...}}}); each is sent whole, as the API requires.
See settings_group.py for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from providers.supabase.client import ManagementClient
from providers.supabase.settings_group import Field, SettingsGroupProvider

MAX_FILE_SIZE_LIMIT = 536_870_912_000  # UpdateStorageConfigBody.fileSizeLimit's maximum
FEATURES = ("imageTransformation", "s3Protocol")
STORAGE_FIELDS = {
    "fileSizeLimit": Field(int, minimum=0, maximum=MAX_FILE_SIZE_LIMIT),
    **{feature: Field(bool) for feature in FEATURES},
}


class StorageSettingsProvider(SettingsGroupProvider):
    group = "Storage settings"
    fields = STORAGE_FIELDS

    def fetch(self, client: ManagementClient, ref: str) -> dict[str, Any]:
        config = client.get_storage_config(ref)
        features = config.get("features") or {}
        return {
            "fileSizeLimit": config.get("fileSizeLimit"),
            **{feature: (features.get(feature) or {}).get("enabled") for feature in FEATURES},
        }

    def send(self, client: ManagementClient, ref: str, changes: dict[str, Any]) -> None:
        body: dict[str, Any] = {}
        if "fileSizeLimit" in changes:
            body["fileSizeLimit"] = changes["fileSizeLimit"]
        features = {feature: {"enabled": changes[feature]} for feature in FEATURES if feature in changes}
        if features:
            body["features"] = features
        client.update_storage_config(ref, body)


@dataclass(frozen=True, kw_only=True)
class StorageSettingsArgs:
    project_ref: pulumi.Input[str]
    settings: pulumi.Input[dict[str, Any]]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class StorageSettings(pulumi.dynamic.Resource, module="supabase", name="StorageSettings"):
    def __init__(
        self, resource_name: str, args: StorageSettingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {"managementApiUrl": args.management_api_url, "projectRef": args.project_ref, "settings": args.settings}
        super().__init__(StorageSettingsProvider(), resource_name, props, opts)
