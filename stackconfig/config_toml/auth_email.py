"""[auth.email]: e-mail sign-in (confirmations, double confirm, secure password change, OTP, frequency),
[auth.email.smtp], and the e-mails themselves: [auth.email.template.<name>] and
[auth.email.notification.<name>], their bodies read from HTML files in the repository (content_path)."""

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
    file_content,
    integer,
    inverted,
    port_text,
    text,
)

SERVICE = "auth"
TABLE = "auth.email"
KEYS = {
    "enable_signup": Plain("external_email_enabled", boolean),
    "double_confirm_changes": Plain("mailer_secure_email_change_enabled", boolean),
    "enable_confirmations": Plain("mailer_autoconfirm", inverted),
    "secure_password_change": Plain("security_update_password_require_reauthentication", boolean),
    "max_frequency": Plain("smtp_max_frequency", duration_seconds),
    "otp_length": Plain("mailer_otp_length", integer),
    "otp_expiry": Plain("mailer_otp_exp", integer),
}
SMTP: dict[str, Spec] = {
    "enabled": Plain("", boolean),
    "host": Plain("smtp_host"),
    "port": Plain("smtp_port", port_text),
    "user": Plain("smtp_user"),
    "pass": Secret("smtp_pass"),
    "admin_email": Plain("smtp_admin_email"),
    "sender_name": Plain("smtp_sender_name"),
}
TEMPLATES = ("invite", "confirmation", "recovery", "magic_link", "email_change", "reauthentication")
NOTIFICATIONS = (
    "password_changed", "email_changed", "phone_changed", "identity_linked", "identity_unlinked",
    "mfa_factor_enrolled", "mfa_factor_unenrolled",
)  # fmt: skip


def read(table: Any, ctx: Context) -> ApiFields:
    out = convert_table(TABLE, table, KEYS, ctx, nested=("smtp", "template", "notification"))
    if "smtp" in table:
        smtp = convert_table(f"{TABLE}.smtp", table["smtp"], SMTP, ctx)
        # enabled = false turns custom SMTP off as the CLI does, by an empty host; the other SMTP keys are
        # then not sent (nor is the password needed).
        if smtp.settings.pop("", True):
            out.merge(smtp)
        else:
            out.settings["smtp_host"] = ""
    for name, template in _named(table, "template", TEMPLATES).items():
        keys = {"subject": Plain(f"mailer_subjects_{name}", text),
                "content_path": Plain(f"mailer_templates_{name}_content", file_content)}  # fmt: skip
        out.merge(convert_table(f"{TABLE}.template.{name}", template, keys, ctx))
    for name, notification in _named(table, "notification", NOTIFICATIONS).items():
        keys = {
            "enabled": Plain(f"mailer_notifications_{name}_enabled", boolean),
            "subject": Plain(f"mailer_subjects_{name}_notification", text),
            "content_path": Plain(f"mailer_templates_{name}_notification_content", file_content),
        }
        out.merge(convert_table(f"{TABLE}.notification.{name}", notification, keys, ctx))
    return out


def _named(table: dict[str, Any], kind: str, names: tuple[str, ...]) -> dict[str, Any]:
    group = table.get(kind) or {}
    for name in group:
        if name not in names:
            raise ConfigTomlError(f"{TABLE}.{kind}.{name}", f"is not an Auth e-mail; one of {', '.join(names)}")
    return group
