"""A third-party auth integration: Supabase accepts the JWTs of another issuer (Firebase, Auth0, Cognito, Clerk,
WorkOS; config.toml's [auth.third_party.*]) as its users' sessions.

Props:
  managementApiUrl, projectRef
  oidcIssuerUrl   the issuer whose tokens are trusted (its /.well-known/openid-configuration names the keys)
The integration has no update in the API: another issuer replaces it. `create` first adopts an integration of
the same issuer, so a rerun after a lost answer does not add a second one; `read` finds it gone when it was
removed behind our back, and the next `up` adds it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult

from providers.supabase.base import SupabaseProvider, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.errors import SupabaseNotFound


class ThirdPartyAuthProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        issuer = news.get("oidcIssuerUrl")
        if not is_unknown(issuer) and not (isinstance(issuer, str) and issuer.startswith("https://")):
            failures.append(CheckFailure("oidcIssuerUrl", "the issuer must be an https:// URL"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("projectRef", "oidcIssuerUrl", "managementApiUrl"))
        return diff_result(changes, replace_keys=("projectRef", "oidcIssuerUrl"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        client, ref, issuer = self.management(props), props["projectRef"], props["oidcIssuerUrl"]
        existing = [i for i in client.list_third_party_auth(ref) if i.get("oidc_issuer_url") == issuer]
        integration = existing[0] if existing else client.create_third_party_auth(ref, {"oidc_issuer_url": issuer})
        return CreateResult(integration["id"], {**props})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            integration = self.management(props).get_third_party_auth(props["projectRef"], id_)
        except SupabaseNotFound:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "oidcIssuerUrl": integration.get("oidc_issuer_url")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        try:
            self.management(props).delete_third_party_auth(props["projectRef"], id_)
        except SupabaseNotFound:
            return None


@dataclass(frozen=True, kw_only=True)
class ThirdPartyAuthArgs:
    project_ref: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class ThirdPartyAuth(pulumi.dynamic.Resource, module="supabase", name="ThirdPartyAuth"):
    def __init__(
        self, resource_name: str, args: ThirdPartyAuthArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "oidcIssuerUrl": args.oidc_issuer_url,
        }
        super().__init__(ThirdPartyAuthProvider(), resource_name, props, opts)
