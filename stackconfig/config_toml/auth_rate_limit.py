"""[auth.rate_limit]: how many e-mails, texts, sign-ins, verifications and refreshes Auth allows (per hour,
per IP for the request limits; guide 000 appendix C)."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import ApiFields, Context, Plain, convert_table, integer

SERVICE = "auth"
TABLE = "auth.rate_limit"
KEYS = {
    "email_sent": Plain("rate_limit_email_sent", integer),
    "sms_sent": Plain("rate_limit_sms_sent", integer),
    "anonymous_users": Plain("rate_limit_anonymous_users", integer),
    "token_refresh": Plain("rate_limit_token_refresh", integer),
    "sign_in_sign_ups": Plain("rate_limit_otp", integer),
    "token_verifications": Plain("rate_limit_verify", integer),
    "web3": Plain("rate_limit_web3", integer),
}


def read(table: Any, ctx: Context) -> ApiFields:
    return convert_table(TABLE, table, KEYS, ctx)
