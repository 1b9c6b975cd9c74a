"""[auth.hook.<name>]: Auth's hooks, each a Postgres function (pg-functions://postgres/<schema>/<function>,
e.g. one of sql/migrations) or an HTTPS endpoint with its signing secret (v1,whsec_...)."""

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
TABLE = "auth.hook"
HOOKS = (
    "custom_access_token", "send_email", "send_sms", "mfa_verification_attempt",
    "password_verification_attempt", "before_user_created",
)  # fmt: skip
URI_SCHEMES = ("pg-functions://", "https://", "http://")


def read(table: Any, ctx: Context) -> ApiFields:
    if not isinstance(table, dict):
        raise ConfigTomlError(TABLE, "must be a table")
    out = ApiFields()
    for name, hook in table.items():
        if name not in HOOKS:
            raise ConfigTomlError(f"{TABLE}.{name}", f"is not an Auth hook; one of {', '.join(HOOKS)}")
        keys: dict[str, Spec] = {
            "enabled": Plain(f"hook_{name}_enabled", boolean),
            "uri": Plain(f"hook_{name}_uri", text),
            "secrets": Secret(f"hook_{name}_secrets"),
        }
        fields = convert_table(f"{TABLE}.{name}", hook, keys, ctx)
        out.merge(switched_off(fields, f"hook_{name}_enabled"))
        uri = fields.settings.get(f"hook_{name}_uri")
        if uri is not None and not uri.startswith(URI_SCHEMES):
            raise ConfigTomlError(
                f"{TABLE}.{name}.uri", "must be pg-functions://postgres/<schema>/<function> or an https:// URL"
            )
    return out
