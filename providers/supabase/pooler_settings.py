"""The project's connection pooler (Supavisor) settings, config.toml's [db.pooler]: the pool mode of the shared
pooler's port 6543 and the pool size per user and database. `supabase config push` does not send these (it
reports "no Management API field" for them); the Management API has them, so a stack manages them here.

Settings: pool_mode ("transaction" | "session"), default_pool_size (0..3000). max_client_conn follows the
compute size and the API does not let it be set. See settings_group.py for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from providers.supabase.client import ManagementClient
from providers.supabase.errors import SupabaseError
from providers.supabase.settings_group import Field, SettingsGroupProvider

POOL_MODES = ("transaction", "session")
POOLER_FIELDS = {
    "pool_mode": Field(str, choices=POOL_MODES),
    "default_pool_size": Field(int, minimum=0, maximum=3000, nullable=True),
}


class PoolerSettingsProvider(SettingsGroupProvider):
    group = "pooler settings"
    fields = POOLER_FIELDS

    def fetch(self, client: ManagementClient, ref: str) -> dict[str, Any]:
        primary = [entry for entry in client.pooler_config(ref) if entry.get("database_type") == "PRIMARY"]
        if not primary:
            raise SupabaseError(f"project {ref} reports no pooler for its primary database")
        return primary[0]

    def send(self, client: ManagementClient, ref: str, changes: dict[str, Any]) -> None:
        client.update_pooler_config(ref, changes)


@dataclass(frozen=True, kw_only=True)
class PoolerSettingsArgs:
    project_ref: pulumi.Input[str]
    settings: pulumi.Input[dict[str, Any]]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class PoolerSettings(pulumi.dynamic.Resource, module="supabase", name="PoolerSettings"):
    def __init__(
        self, resource_name: str, args: PoolerSettingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {"managementApiUrl": args.management_api_url, "projectRef": args.project_ref, "settings": args.settings}
        super().__init__(PoolerSettingsProvider(), resource_name, props, opts)
