"""The project's Auth settings (GoTrue): only the fields configured are sent and compared.

Props:
  managementApiUrl, projectRef
  settings        {api_field: value} plain settings, e.g. site_url, uri_allow_list, jwt_exp, mfa_totp_enroll_enabled
  secretSettings  {api_field: value} client, SMS, hook and CAPTCHA secrets, the SMTP password (a Pulumi secret)
`read` detects drift in both. Supabase never returns secret values, only HMAC-SHA256(ref, value), so a
secret is compared by that digest; one changed behind our back is stored as a marker, never as a value.
Deleting the resource leaves the project's auth settings as they are (there is no "unset" in the API).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

# Every field of the Auth config (the spec's UpdateAuthConfigBody): the stack's groups (config.toml's [auth.*]
# through stackconfig/config_toml, or the stack config) choose which of them are managed.
from providers.supabase.auth_fields import PLAIN_FIELDS, SECRET_FIELDS
from providers.supabase.base import (
    CHANGED_OUTSIDE,
    SupabaseProvider,
    auth_secret_hmac,
    changed_keys,
    diff_result,
    is_unknown,
    require_ref,
)
from providers.supabase.errors import SupabaseNotFound


class AuthSettingsProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        settings = news.get("settings") or {}
        if not is_unknown(settings):
            for key, value in settings.items():
                expected = PLAIN_FIELDS.get(key)
                if expected is None:
                    failures.append(CheckFailure("settings", f"{key} is not an auth field this stack manages"))
                elif expected is int and isinstance(value, float) and value.is_integer():
                    continue
                elif value is not None and not is_unknown(value) and not isinstance(value, expected):
                    failures.append(
                        CheckFailure("settings", f"{key} must be a {getattr(expected, '__name__', expected)}")
                    )
        secrets = news.get("secretSettings") or {}
        if not is_unknown(secrets):
            for key in secrets:
                if key not in SECRET_FIELDS:
                    failures.append(CheckFailure("secretSettings", f"{key} is not a secret field of the Auth config"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("settings", "secretSettings", "managementApiUrl"))
        return diff_result(changes + changed_keys(olds, news, ("projectRef",)), replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply(props, {})
        return CreateResult(f"{props['projectRef']}-auth", {**props})

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply(news, olds)
        return UpdateResult({**news})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ref = props["projectRef"]
        secrets = dict(props.get("secretSettings") or {})
        client = self.management(props, *secrets.values())
        try:
            actual = client.get_auth_config(ref)
        except SupabaseNotFound:
            return ReadResult(None, {})
        settings = {key: _cast(key, actual.get(key)) for key in (props.get("settings") or {})}
        for key, value in secrets.items():
            if value != CHANGED_OUTSIDE and actual.get(key) != auth_secret_hmac(ref, value):
                secrets[key] = CHANGED_OUTSIDE
        return ReadResult(id_, {**props, "settings": settings, "secretSettings": secrets})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _apply(self, news: dict[str, Any], olds: dict[str, Any]) -> None:
        """One PATCH with the configured fields that differ from what was applied before."""
        old_settings, old_secrets = olds.get("settings") or {}, olds.get("secretSettings") or {}
        changes = {
            key: _cast(key, value)
            for key, value in (news.get("settings") or {}).items()
            if old_settings.get(key) != value
        }
        new_secrets = news.get("secretSettings") or {}
        changes.update({key: value for key, value in new_secrets.items() if old_secrets.get(key) != value})
        if changes:
            client = self.management(news, *new_secrets.values())
            client.update_auth_config(news["projectRef"], changes)


def _cast(key: str, value: Any) -> Any:
    if PLAIN_FIELDS.get(key) is int and isinstance(value, float):
        return int(value)
    return value


@dataclass(frozen=True, kw_only=True)
class AuthSettingsArgs:
    project_ref: pulumi.Input[str]
    settings: pulumi.Input[dict[str, Any]]
    secret_settings: pulumi.Input[dict[str, str]] | None = None
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class AuthSettings(pulumi.dynamic.Resource, module="supabase", name="AuthSettings"):
    def __init__(self, resource_name: str, args: AuthSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "settings": args.settings,
            "secretSettings": pulumi.Output.secret(args.secret_settings or {}),
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["secretSettings"]))
        super().__init__(AuthSettingsProvider(), resource_name, props, opts)
