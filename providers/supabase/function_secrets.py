"""The edge functions' secrets (environment variables), from the stack's secret config.

Props:
  managementApiUrl, projectRef
  secrets   {NAME: value}, a Pulumi secret
Only the names this resource set are managed: a name removed from config is deleted from the project,
and secrets someone else added (and the SUPABASE_* ones Supabase injects) are left alone. Supabase returns
SHA-256 digests instead of values, so drift is found by digest; a value changed behind our back is stored
as a marker (never as a value) and the next deployment sets the configured value again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import (
    CHANGED_OUTSIDE,
    SupabaseProvider,
    changed_keys,
    diff_result,
    is_unknown,
    require_ref,
    sha256_hex,
)
from providers.supabase.errors import SupabaseNotFound

SECRET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_VALUE_LENGTH = 24576


class FunctionSecretsProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        secrets = news.get("secrets") or {}
        if not is_unknown(secrets):
            for name, value in secrets.items():
                if not SECRET_NAME.match(name) or name.upper().startswith("SUPABASE_"):
                    failures.append(
                        CheckFailure(
                            "secrets",
                            f"{name!r}: secret names are letters, digits and _, and must not start with SUPABASE_ "
                            "(Supabase sets SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY itself)",
                        )
                    )
                elif not is_unknown(value) and (not isinstance(value, str) or not value):
                    failures.append(CheckFailure("secrets", f"{name}: the value must be a non-empty string"))
                elif isinstance(value, str) and len(value) > MAX_VALUE_LENGTH:
                    failures.append(CheckFailure("secrets", f"{name}: longer than {MAX_VALUE_LENGTH} characters"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("secrets", "managementApiUrl"))
        return diff_result(changes + changed_keys(olds, news, ("projectRef",)), replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        secrets = props.get("secrets") or {}
        if secrets:
            self.management(props, *secrets.values()).set_secrets(props["projectRef"], secrets)
        return CreateResult(f"{props['projectRef']}-function-secrets", {**props, "names": sorted(secrets)})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        new, old = news.get("secrets") or {}, olds.get("secrets") or {}
        client = self.management(news, *new.values())
        changed = {name: value for name, value in new.items() if old.get(name) != value}
        removed = sorted(set(old) - set(new))
        if changed:
            client.set_secrets(news["projectRef"], changed)
        if removed:
            client.delete_secrets(news["projectRef"], removed)
        return UpdateResult({**news, "names": sorted(new)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        managed = dict(props.get("secrets") or {})
        try:
            listed = self.management(props, *managed.values()).list_secrets(props["projectRef"])
        except SupabaseNotFound:
            return ReadResult(None, {})
        digests = {item["name"]: item["value"] for item in listed}
        actual: dict[str, str] = {}
        for name, value in managed.items():
            if name not in digests:
                continue  # deleted behind our back: the diff will set it again
            actual[name] = value if value != CHANGED_OUTSIDE and digests[name] == sha256_hex(value) else CHANGED_OUTSIDE
        return ReadResult(id_, {**props, "secrets": actual, "names": sorted(actual)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        names = sorted((props.get("secrets") or {}).keys())
        if not names:
            return
        try:
            self.management(props).delete_secrets(props["projectRef"], names)
        except SupabaseNotFound:
            return


@dataclass(frozen=True, kw_only=True)
class FunctionSecretsArgs:
    project_ref: pulumi.Input[str]
    secrets: pulumi.Input[dict[str, str]]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class FunctionSecrets(pulumi.dynamic.Resource, module="supabase", name="FunctionSecrets"):
    names: pulumi.Output[list[str]]

    def __init__(
        self, resource_name: str, args: FunctionSecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "secrets": pulumi.Output.secret(args.secrets),
            "names": None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["secrets"]))
        super().__init__(FunctionSecretsProvider(), resource_name, props, opts)
