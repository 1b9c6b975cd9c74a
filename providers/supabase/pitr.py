"""Point-in-time recovery: the Management API's PITR add-on (`pitr_7`, `pitr_14`, `pitr_28`: days of WAL
kept), so the database can be restored to any second of that window (`python -m ops restore-pitr`).

Props:
  managementApiUrl, projectRef
  retentionDays     7, 14 or 28
`read` reports the add-on the project really has (none: the resource is gone, and the next `up` applies
it again). Deleting the resource removes the add-on; Supabase then keeps only its daily backups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, as_int, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.errors import SupabaseNotFound

PITR_RETENTION_DAYS = (7, 14, 28)
ADDON_TYPE = "pitr"


def variant(days: int) -> str:
    return f"pitr_{days}"


class PitrAddonProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        days = news.get("retentionDays")
        if not is_unknown(days) and as_int(days) not in PITR_RETENTION_DAYS:
            failures.append(
                CheckFailure("retentionDays", f"point-in-time recovery keeps 7, 14 or 28 days, not {days!r}")
            )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("retentionDays", "managementApiUrl", "projectRef")
        return diff_result(changed_keys(olds, news, keys), replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _normalized(props)
        self.management(props).apply_addon(outs["projectRef"], ADDON_TYPE, variant(outs["retentionDays"]))
        return CreateResult(f"{outs['projectRef']}-pitr", outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = _normalized(news)
        # Applying a variant replaces the one the project had: no removal first, no window without PITR.
        self.management(news).apply_addon(outs["projectRef"], ADDON_TYPE, variant(outs["retentionDays"]))
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        outs = _normalized(props)
        try:
            current = self.management(props).selected_addon(outs["projectRef"], ADDON_TYPE)
        except SupabaseNotFound:
            return ReadResult(None, {})
        if current is None:
            return ReadResult(None, {})
        outs["retentionDays"] = int(current.removeprefix("pitr_"))
        return ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        outs = _normalized(props)
        client = self.management(props)
        try:
            current = client.selected_addon(outs["projectRef"], ADDON_TYPE)
            if current is not None:
                client.remove_addon(outs["projectRef"], current)
        except SupabaseNotFound:
            return  # the project is gone, and its add-on with it


def _normalized(props: dict[str, Any]) -> dict[str, Any]:
    return {**props, "retentionDays": as_int(props.get("retentionDays"))}


@dataclass(frozen=True, kw_only=True)
class PitrAddonArgs:
    project_ref: pulumi.Input[str]
    retention_days: int
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class PitrAddon(pulumi.dynamic.Resource, module="supabase", name="PitrAddon"):
    def __init__(self, resource_name: str, args: PitrAddonArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "retentionDays": args.retention_days,
        }
        super().__init__(PitrAddonProvider(), resource_name, props, opts)
