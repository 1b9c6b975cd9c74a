"""Database settings through the Management API: Postgres parameters, SSL enforcement, network restrictions.

Supabase does not let a project run `ALTER SYSTEM`; the parameters of guide 002's "Database Optimization
for Production" that the platform exposes are set here instead (see docs/supabase.md for the ones it does
not expose and why that is fine).

Props:
  managementApiUrl, projectRef
  postgresConfig    {parameter: value}, only the configured parameters are sent and compared
  sslEnforced       bool or None (None: leave as is)
  allowedCidrs      IPv4 CIDRs allowed to reach the database, or None (leave as is)
  allowedCidrsV6    IPv6 CIDRs, or None
Deleting the resource opens the network restrictions it set (0.0.0.0/0, ::/0) and leaves the Postgres
parameters and SSL enforcement as they are: they are safe defaults and the API has no "reset".
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.client import ManagementClient
from providers.supabase.errors import SupabaseNotFound

# Parameters the API accepts (UpdatePostgresConfigBody), with their JSON types.
POSTGRES_PARAMETERS: dict[str, type] = {
    **dict.fromkeys(
        (
            "effective_cache_size", "logical_decoding_work_mem", "maintenance_work_mem",
            "track_activity_query_size", "max_slot_wal_keep_size", "max_standby_archive_delay",
            "max_standby_streaming_delay", "max_wal_size", "session_replication_role", "shared_buffers",
            "statement_timeout", "wal_keep_size", "wal_sender_timeout", "work_mem", "checkpoint_timeout",
        ),
        str,
    ),
    **dict.fromkeys(
        (
            "max_connections", "max_locks_per_transaction", "max_parallel_maintenance_workers",
            "max_parallel_workers", "max_parallel_workers_per_gather", "max_replication_slots",
            "max_wal_senders", "max_worker_processes",
        ),
        int,
    ),
    **dict.fromkeys(("track_commit_timestamp", "hot_standby_feedback"), bool),
}  # fmt: skip
OPEN_IPV4, OPEN_IPV6 = ["0.0.0.0/0"], ["::/0"]


class DatabaseSettingsProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        config = news.get("postgresConfig") or {}
        if not is_unknown(config):
            for key, value in config.items():
                expected = POSTGRES_PARAMETERS.get(key)
                if expected is None:
                    failures.append(
                        CheckFailure(
                            "postgresConfig",
                            f"{key} cannot be set through the Supabase API; "
                            f"settable: {', '.join(sorted(POSTGRES_PARAMETERS))}",
                        )
                    )
                elif not is_unknown(value) and not _is_type(value, expected):
                    failures.append(CheckFailure("postgresConfig", f"{key} must be a {expected.__name__}"))
        for key, version in (("allowedCidrs", 4), ("allowedCidrsV6", 6)):
            cidrs = news.get(key)
            if cidrs is None or is_unknown(cidrs):
                continue
            for cidr in cidrs:
                try:
                    if ipaddress.ip_network(cidr, strict=False).version != version:
                        raise ValueError
                except ValueError:
                    failures.append(
                        CheckFailure(
                            key,
                            f"{cidr!r} is not an IPv{version} CIDR such as "
                            f"{'203.0.113.0/24' if version == 4 else '2001:db8::/32'}",
                        )
                    )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("postgresConfig", "sslEnforced", "allowedCidrs", "allowedCidrsV6", "managementApiUrl", "projectRef")
        return diff_result(changed_keys(olds, news, keys), replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply(props, {})
        return CreateResult(f"{props['projectRef']}-database-settings", _normalized(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply(news, olds)
        return UpdateResult(_normalized(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref, client = props["projectRef"], self.management(props)
        outs = _normalized(props)
        try:
            if outs.get("postgresConfig"):
                actual = client.get_postgres_config(ref)
                outs["postgresConfig"] = {key: actual.get(key) for key in outs["postgresConfig"]}
            if outs.get("sslEnforced") is not None:
                outs["sslEnforced"] = client.get_ssl_enforcement(ref)["currentConfig"]["database"]
            if outs.get("allowedCidrs") is not None or outs.get("allowedCidrsV6") is not None:
                config = client.get_network_restrictions(ref).get("config", {})
                if outs.get("allowedCidrs") is not None:
                    outs["allowedCidrs"] = sorted(config.get("dbAllowedCidrs") or [])
                if outs.get("allowedCidrsV6") is not None:
                    outs["allowedCidrsV6"] = sorted(config.get("dbAllowedCidrsV6") or [])
        except SupabaseNotFound:
            return ReadResult(None, {})
        return ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        if props.get("allowedCidrs") is None and props.get("allowedCidrsV6") is None:
            return
        try:
            self.management(props).apply_network_restrictions(props["projectRef"], OPEN_IPV4, OPEN_IPV6)
        except SupabaseNotFound:
            return  # the project is gone, and its restrictions with it

    def _apply(self, news: dict[str, Any], olds: dict[str, Any]) -> None:
        ref, client = news["projectRef"], None
        new, old = _normalized(news), _normalized(olds) if olds else {}

        def api() -> ManagementClient:
            nonlocal client
            client = client or self.management(news)
            return client

        wanted = new.get("postgresConfig") or {}
        if wanted and wanted != (old.get("postgresConfig") or {}):
            api().update_postgres_config(ref, wanted)
        if new.get("sslEnforced") is not None and new.get("sslEnforced") != old.get("sslEnforced"):
            api().set_ssl_enforcement(ref, bool(new["sslEnforced"]))
        ipv4, ipv6 = new.get("allowedCidrs"), new.get("allowedCidrsV6")
        if (ipv4 is not None or ipv6 is not None) and (
            ipv4 != old.get("allowedCidrs") or ipv6 != old.get("allowedCidrsV6")
        ):
            current = {} if (ipv4 is not None and ipv6 is not None) else api().get_network_restrictions(ref)
            current_config = current.get("config", {}) if current else {}
            api().apply_network_restrictions(
                ref,
                ipv4 if ipv4 is not None else current_config.get("dbAllowedCidrs", OPEN_IPV4),
                ipv6 if ipv6 is not None else current_config.get("dbAllowedCidrsV6", OPEN_IPV6),
            )


def _is_type(value: Any, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
    return isinstance(value, expected)


def _normalized(props: dict[str, Any]) -> dict[str, Any]:
    """Numbers back to ints and CIDR lists sorted, so state compares equal to what the API returns."""
    outs = dict(props)
    config = outs.get("postgresConfig")
    if config:
        outs["postgresConfig"] = {
            key: int(value) if POSTGRES_PARAMETERS.get(key) is int and value is not None else value
            for key, value in config.items()
        }
    for key in ("allowedCidrs", "allowedCidrsV6"):
        if outs.get(key) is not None:
            outs[key] = sorted(outs[key])
    return outs


@dataclass(frozen=True, kw_only=True)
class DatabaseSettingsArgs:
    project_ref: pulumi.Input[str]
    postgres_config: pulumi.Input[dict[str, Any]]
    ssl_enforced: pulumi.Input[bool] | None = None
    allowed_cidrs: pulumi.Input[list[str]] | None = None
    allowed_cidrs_v6: pulumi.Input[list[str]] | None = None
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class DatabaseSettings(pulumi.dynamic.Resource, module="supabase", name="DatabaseSettings"):
    def __init__(
        self, resource_name: str, args: DatabaseSettingsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "postgresConfig": args.postgres_config,
            "sslEnforced": args.ssl_enforced,
            "allowedCidrs": args.allowed_cidrs,
            "allowedCidrsV6": args.allowed_cidrs_v6,
        }
        super().__init__(DatabaseSettingsProvider(), resource_name, props, opts)
