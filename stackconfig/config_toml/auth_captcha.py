"""[auth.captcha]: hCaptcha or Cloudflare Turnstile in front of sign-up, sign-in and password recovery."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import ApiFields, Context, Plain, Secret, Spec, boolean, convert_table, one_of

SERVICE = "auth"
TABLE = "auth.captcha"
KEYS: dict[str, Spec] = {
    "enabled": Plain("security_captcha_enabled", boolean),
    "provider": Plain("security_captcha_provider", one_of({"hcaptcha": "hcaptcha", "turnstile": "turnstile"})),
    "secret": Secret("security_captcha_secret"),
}


def read(table: Any, ctx: Context) -> ApiFields:
    return convert_table(TABLE, table, KEYS, ctx)
