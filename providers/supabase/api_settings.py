"""The project's Data API (PostgREST) settings, config.toml's [api]: the exposed schemas, the extra search path,
the most rows one request returns, and the Data API's own connection pool.

Settings (the API's names): db_schema ("public,graphql_public"), db_extra_search_path ("public,extensions"),
max_rows (0..1000000), db_pool (0..1000, null: sized by the compute add-on). See settings_group.py for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from providers.supabase.client import ManagementClient
from providers.supabase.settings_group import Field, SettingsGroupProvider

API_FIELDS = {
    "db_schema": Field(str),
    "db_extra_search_path": Field(str),
    "max_rows": Field(int, minimum=0, maximum=1_000_000),
    "db_pool": Field(int, minimum=0, maximum=1000, nullable=True),
}


class ApiSettingsProvider(SettingsGroupProvider):
    group = "Data API settings"
    fields = API_FIELDS

    def fetch(self, client: ManagementClient, ref: str) -> dict[str, Any]:
        return client.get_postgrest_config(ref)

    def send(self, client: ManagementClient, ref: str, changes: dict[str, Any]) -> None:
        client.update_postgrest_config(ref, changes)


@dataclass(frozen=True, kw_only=True)
class ApiSettingsArgs:
    project_ref: pulumi.Input[str]
    settings: pulumi.Input[dict[str, Any]]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class ApiSettings(pulumi.dynamic.Resource, module="supabase", name="ApiSettings"):
    def __init__(self, resource_name: str, args: ApiSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"managementApiUrl": args.management_api_url, "projectRef": args.project_ref, "settings": args.settings}
        super().__init__(ApiSettingsProvider(), resource_name, props, opts)
