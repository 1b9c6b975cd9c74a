"""[auth] itself: URLs, JWT expiry, sign-up switches, anonymous sign-ins, manual linking, passwords, refresh
tokens; and [auth.sessions], [auth.web3.*], [auth.oauth_server] (the project as an OAuth 2.1 server). Its sub-groups are read by the auth_* modules."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import (
    ApiFields,
    Context,
    Plain,
    boolean,
    comma_list,
    convert_table,
    duration_hours,
    integer,
    inverted,
    one_of,
)

SERVICE = "auth"
TABLE = "auth"
SUB_GROUPS = ("email", "sms", "mfa", "hook", "captcha", "rate_limit", "external", "third_party", "sessions", "web3",
              "oauth_server")  # fmt: skip

_LOWER, _UPPER, _DIGITS = "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789"
# config.toml's names for the character sets the API takes verbatim (the spec's enum of
# password_required_characters): ":" separates the sets that must each appear once.
PASSWORD_REQUIREMENTS = {
    "": "",
    "letters_digits": f"{_LOWER}{_UPPER}:{_DIGITS}",
    "lower_upper_letters_digits": f"{_LOWER}:{_UPPER}:{_DIGITS}",
    "lower_upper_letters_digits_symbols": f"{_LOWER}:{_UPPER}:{_DIGITS}:" + "!@#$%^&*()_+-=[]{};'\\\\:\"|<>?,./`~",
}

KEYS = {
    "enabled": Plain("", boolean),  # a switch of the file, not an API field (see read)
    "site_url": Plain("site_url"),
    "additional_redirect_urls": Plain("uri_allow_list", comma_list),
    "jwt_expiry": Plain("jwt_exp", integer),
    "enable_refresh_token_rotation": Plain("refresh_token_rotation_enabled", boolean),
    "refresh_token_reuse_interval": Plain("security_refresh_token_reuse_interval", integer),
    "enable_manual_linking": Plain("security_manual_linking_enabled", boolean),
    "enable_signup": Plain("disable_signup", inverted),
    "enable_anonymous_sign_ins": Plain("external_anonymous_users_enabled", boolean),
    "minimum_password_length": Plain("password_min_length", integer),
    "password_requirements": Plain("password_required_characters", one_of(PASSWORD_REQUIREMENTS)),
}
SESSIONS = {
    "timebox": Plain("sessions_timebox", duration_hours),
    "inactivity_timeout": Plain("sessions_inactivity_timeout", duration_hours),
}
WEB3 = {"solana", "ethereum"}
OAUTH_SERVER = {
    "enabled": Plain("oauth_server_enabled", boolean),
    "allow_dynamic_registration": Plain("oauth_server_allow_dynamic_registration", boolean),
    "authorization_url_path": Plain("oauth_server_authorization_path"),
}


def read(table: Any, ctx: Context) -> ApiFields:
    out = convert_table(TABLE, table, KEYS, ctx, nested=SUB_GROUPS)
    # `enabled = false` makes the CLI skip auth entirely; a stack that manages auth keeps it on.
    if out.settings.pop("", True) is not True:
        raise ConfigTomlError("auth.enabled", "must be true (or absent): this program manages the project's Auth")
    if "sessions" in table:
        out.merge(convert_table("auth.sessions", table["sessions"], SESSIONS, ctx))
    if "oauth_server" in table:
        out.merge(convert_table("auth.oauth_server", table["oauth_server"], OAUTH_SERVER, ctx))
    for chain, chain_table in (table.get("web3") or {}).items():
        if chain not in WEB3:
            raise ConfigTomlError(f"auth.web3.{chain}", f"is not a chain the API has; one of {', '.join(sorted(WEB3))}")
        keys = {"enabled": Plain(f"external_web3_{chain}_enabled", boolean)}
        out.merge(convert_table(f"auth.web3.{chain}", chain_table, keys, ctx))
    return out
