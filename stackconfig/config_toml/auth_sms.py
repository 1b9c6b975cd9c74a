"""[auth.sms]: phone sign-in (switches, template, OTP) and its provider, [auth.sms.<provider>]; only one
provider may be enabled, as Auth sends through one."""

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
    duration_seconds,
    integer,
    text,
)

SERVICE = "auth"
TABLE = "auth.sms"
KEYS: dict[str, Spec] = {
    "enable_signup": Plain("external_phone_enabled", boolean),
    "enable_confirmations": Plain("sms_autoconfirm", boolean),
    "template": Plain("sms_template", text),
    "max_frequency": Plain("sms_max_frequency", duration_seconds),
    "otp_length": Plain("sms_otp_length", integer),
    "otp_expiry": Plain("sms_otp_exp", integer),
    "test_otp": Plain("sms_test_otp", lambda path, value, ctx: _test_otp(path, value)),
}
PROVIDERS: dict[str, dict[str, Spec]] = {
    "twilio": {
        "account_sid": Plain("sms_twilio_account_sid"),
        "message_service_sid": Plain("sms_twilio_message_service_sid"),
        "content_sid": Plain("sms_twilio_content_sid"),
        "auth_token": Secret("sms_twilio_auth_token"),
    },
    "twilio_verify": {
        "account_sid": Plain("sms_twilio_verify_account_sid"),
        "message_service_sid": Plain("sms_twilio_verify_message_service_sid"),
        "auth_token": Secret("sms_twilio_verify_auth_token"),
    },
    "messagebird": {
        "originator": Plain("sms_messagebird_originator"),
        "access_key": Secret("sms_messagebird_access_key"),
    },
    "textlocal": {"sender": Plain("sms_textlocal_sender"), "api_key": Secret("sms_textlocal_api_key")},
    "vonage": {
        "from": Plain("sms_vonage_from"),
        "api_key": Plain("sms_vonage_api_key"),
        "api_secret": Secret("sms_vonage_api_secret"),
    },
}


def read(table: Any, ctx: Context) -> ApiFields:
    out = convert_table(TABLE, table, KEYS, ctx, nested=tuple(PROVIDERS))
    enabled = []
    for name, keys in PROVIDERS.items():
        if name not in table:
            continue
        provider = table[name]
        fields = convert_table(f"{TABLE}.{name}", provider, {"enabled": Plain("", boolean), **keys}, ctx)
        if fields.settings.pop("", False):
            enabled.append(name)
            out.merge(fields)
        # A provider declared but not enabled sends nothing: the CLI writes only the enabled one's fields, and
        # cannot turn the active provider off either (it says so; switch phone sign-in off instead).
    if len(enabled) > 1:
        raise ConfigTomlError(TABLE, f"{' and '.join(enabled)} are both enabled; Auth sends through one provider")
    if enabled:
        out.settings["sms_provider"] = enabled[0]
    return out


def _test_otp(path: str, value: Any) -> str:
    """{"4152127777" = "123456"} -> "4152127777=123456" (the API's form)."""
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.isdigit() for v in value.values()):
        raise ConfigTomlError(path, 'must be a table of phone number = "digits"')
    bad = [number for number in value if not (number.isdigit() and len(number) <= 15)]
    if bad:
        raise ConfigTomlError(path, f"{bad[0]!r} is not a phone number of up to 15 digits")
    return ",".join(f"{number}={code}" for number, code in value.items())
