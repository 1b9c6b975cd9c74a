"""[auth.external.<provider>]: the OAuth sign-in providers Auth has (each: enabled, client_id, its secret,
email_optional, and a URL for the self-hosted ones)."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import (
    ApiFields,
    Context,
    Plain,
    Secret,
    Spec,
    boolean,
    convert_table,
    switched_off,
    text,
)

SERVICE = "auth"
TABLE = "auth.external"
# Providers whose server is the customer's own, so the API takes its URL.
WITH_URL = frozenset({"azure", "gitlab", "keycloak", "workos"})
PROVIDERS = (
    "apple", "azure", "bitbucket", "discord", "facebook", "figma", "github", "gitlab", "google", "kakao",
    "keycloak", "linkedin_oidc", "notion", "slack_oidc", "spotify", "twitch", "twitter", "workos", "zoom",
)  # fmt: skip


def read(table: Any, ctx: Context) -> ApiFields:
    if not isinstance(table, dict):
        raise ConfigTomlError(TABLE, "must be a table")
    out = ApiFields()
    for name, provider in table.items():
        if name not in PROVIDERS:
            raise ConfigTomlError(f"{TABLE}.{name}", f"is not a provider Auth has; one of {', '.join(PROVIDERS)}")
        keys: dict[str, Spec] = {
            "enabled": Plain(f"external_{name}_enabled", boolean),
            "client_id": Plain(f"external_{name}_client_id", text),
            "secret": Secret(f"external_{name}_secret"),
            "email_optional": Plain(f"external_{name}_email_optional", boolean),
        }
        if name in WITH_URL:
            keys["url"] = Plain(f"external_{name}_url", text)
        if name == "google":
            keys["skip_nonce_check"] = Plain("external_google_skip_nonce_check", boolean)
        fields = convert_table(f"{TABLE}.{name}", provider, keys, ctx)
        # The CLI writes a declared provider's email_optional with the rest of it, false unless set.
        fields.settings.setdefault(f"external_{name}_email_optional", False)
        out.merge(switched_off(fields, f"external_{name}_enabled"))
    return out
