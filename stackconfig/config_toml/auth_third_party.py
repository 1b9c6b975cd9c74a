"""[auth.third_party.<provider>]: another issuer's JWTs accepted as sessions. Each provider's keys name its
OIDC issuer the way the CLI builds it; at most one is enabled. `config push` does not send this group for a
hosted project; the program manages it as a third-party auth integration (providers/supabase/third_party_auth.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import ApiFields, Context, Plain, Spec, boolean, convert_table

SERVICE = "auth_third_party"
TABLE = "auth.third_party"


def _auth0(keys: dict[str, Any]) -> str:
    region = keys.get("tenant_region")
    return f"https://{keys['tenant']}.{region}.auth0.com" if region else f"https://{keys['tenant']}.auth0.com"


# provider -> (its keys, the ones it needs, how its issuer URL is built)
PROVIDERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], Callable[[dict[str, Any]], str]]] = {
    "firebase": (("project_id",), ("project_id",), lambda k: f"https://securetoken.google.com/{k['project_id']}"),
    "auth0": (("tenant", "tenant_region"), ("tenant",), _auth0),
    "aws_cognito": (
        ("user_pool_id", "user_pool_region"),
        ("user_pool_id", "user_pool_region"),
        lambda k: f"https://cognito-idp.{k['user_pool_region']}.amazonaws.com/{k['user_pool_id']}",
    ),
    "clerk": (("domain",), ("domain",), lambda k: f"https://{k['domain']}"),
    "workos": (("issuer_url",), ("issuer_url",), lambda k: k["issuer_url"]),
}


def read(table: Any, ctx: Context) -> ApiFields:
    if not isinstance(table, dict):
        raise ConfigTomlError(TABLE, "must be a table")
    issuers = []
    for name, provider in table.items():
        if name not in PROVIDERS:
            raise ConfigTomlError(f"{TABLE}.{name}", f"is not a third-party issuer; one of {', '.join(PROVIDERS)}")
        names, required, issuer = PROVIDERS[name]
        keys: dict[str, Spec] = {"enabled": Plain("enabled", boolean), **{key: Plain(key) for key in names}}
        values = convert_table(f"{TABLE}.{name}", provider, keys, ctx).settings
        if not values.get("enabled"):
            continue
        missing = [key for key in required if not values.get(key)]
        if missing:
            raise ConfigTomlError(f"{TABLE}.{name}.{missing[0]}", "is required when the provider is enabled")
        issuers.append((name, issuer(values)))
    if len(issuers) > 1:
        raise ConfigTomlError(TABLE, f"{' and '.join(n for n, _ in issuers)} are both enabled; enable one issuer")
    return ApiFields(settings={"oidc_issuer_url": issuers[0][1]} if issuers else {})
