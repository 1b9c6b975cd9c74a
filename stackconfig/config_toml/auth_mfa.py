"""[auth.mfa]: TOTP, phone and WebAuthn factors (enrolment and verification), and how many a user may have."""

from __future__ import annotations

from typing import Any

from stackconfig.config_toml.fields import (
    ApiFields,
    Context,
    Plain,
    boolean,
    convert_table,
    duration_seconds,
    integer,
    text,
)

SERVICE = "auth"
TABLE = "auth.mfa"
KEYS = {"max_enrolled_factors": Plain("mfa_max_enrolled_factors", integer)}
FACTORS = {
    "totp": {
        "enroll_enabled": Plain("mfa_totp_enroll_enabled", boolean),
        "verify_enabled": Plain("mfa_totp_verify_enabled", boolean),
    },
    "phone": {
        "enroll_enabled": Plain("mfa_phone_enroll_enabled", boolean),
        "verify_enabled": Plain("mfa_phone_verify_enabled", boolean),
        "otp_length": Plain("mfa_phone_otp_length", integer),
        "template": Plain("mfa_phone_template", text),
        "max_frequency": Plain("mfa_phone_max_frequency", duration_seconds),
    },
    "web_authn": {
        "enroll_enabled": Plain("mfa_web_authn_enroll_enabled", boolean),
        "verify_enabled": Plain("mfa_web_authn_verify_enabled", boolean),
    },
}


def read(table: Any, ctx: Context) -> ApiFields:
    out = convert_table(TABLE, table, KEYS, ctx, nested=tuple(FACTORS))
    for factor, keys in FACTORS.items():
        if factor in table:
            out.merge(convert_table(f"{TABLE}.{factor}", table[factor], keys, ctx))
    return out
