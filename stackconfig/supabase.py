"""The Supabase project of a stack: the project itself, its auth and database settings, its functions and
custom domain; and the secret keys that feed them (the values never appear in a stack file in plain text).

Keys: supabase, supabaseAuth, supabaseDatabase, functions, supabaseCustomDomain; secrets:
supabaseAccessToken, databasePassword, functionSecrets, authSecrets.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, SecretStr, field_validator, model_validator

from stackconfig.base import SECTION_CONFIG
from stackconfig.urls import insecure_url_problem, redirect_pattern_problem

Region = Literal[
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-east-1", "ap-southeast-1", "ap-northeast-1",
    "ap-northeast-2", "ap-southeast-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-central-1",
    "eu-central-2", "ca-central-1", "ap-south-1", "sa-east-1",
]  # fmt: skip
InstanceSize = Literal[
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
]  # fmt: skip
PROJECT_REF_PATTERN = r"^[a-z]{20}$"
FUNCTION_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]*$"
SECRET_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# The function secrets both guides list (000 §3.2 and §5.5, 002 "Environment Variables"). SUPABASE_URL and
# SUPABASE_SERVICE_ROLE_KEY are not among them: Supabase injects those into every function itself.
GUIDE_FUNCTION_SECRETS = (
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_AI_API_KEY", "SMTP_HOST", "SMTP_PORT", "SMTP_USER",
    "SMTP_PASS", "AUTOMATION_SERVICE_URL", "WEBHOOK_SECRET", "FRONTEND_URL", "GOOGLE_VISION_API_KEY",
    "GOOGLE_TRANSLATE_API_KEY", "GOOGLE_CLOUD_PROJECT_ID", "HUGGINGFACE_API_KEY", "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET", "STRIPE_PUBLISHABLE_KEY", "RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET",
    "RAZORPAY_WEBHOOK_SECRET", "FIREBASE_SERVER_KEY", "FIREBASE_PROJECT_ID", "SENDGRID_API_KEY",
    "RESEND_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_PHONE_NUMBER", "ENCRYPTION_KEY",
    "JWT_SECRET", "CHAINLINK_API_KEY", "ETHEREUM_RPC_URL", "SENTRY_DSN", "DATADOG_API_KEY",
    # FCM HTTP v1's service account key, in place of the legacy FIREBASE_SERVER_KEY (functions/reminder-engine).
    "FIREBASE_SERVICE_ACCOUNT",
)  # fmt: skip


# Secrets of the guides that nothing here reads: accepting them would suggest a protection that does not exist.
UNUSED_FUNCTION_SECRETS = frozenset({"ENCRYPTION_KEY"})


class SupabaseProjectConfig(BaseModel):
    """Key `supabase`: the project this stack owns. No organizationSlug: no Supabase project (the local stack)."""

    model_config = SECTION_CONFIG

    organization_slug: str | None = Field(default=None, pattern=r"^[\w-]+$")
    project_name: str | None = Field(default=None, min_length=1, max_length=256)
    region: Region = "us-east-1"
    # None: Supabase's smallest size for the organization's plan.
    instance_size: InstanceSize | None = None
    # Adopt this existing project instead of finding (or creating) one by name.
    project_ref: str | None = Field(default=None, pattern=PROJECT_REF_PATTERN)
    # Refuse `pulumi destroy` on the project (prod): it holds every user's data.
    protect: bool = False
    ready_timeout_seconds: int = Field(default=900, ge=60, le=3600)
    # Point-in-time recovery (the PITR add-on): days of WAL Supabase keeps; None: daily backups only.
    pitr_retention_days: Literal[7, 14, 28] | None = None
    management_api_url: str = "https://api.supabase.com"
    project_url_template: str = "https://{ref}.supabase.co"
    functions_dir: str = "functions"
    # The Supabase CLI's project file to take the [auth.*] settings from (stackconfig/config_toml).
    config_toml: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _named_when_enabled(self) -> SupabaseProjectConfig:
        if self.organization_slug and not self.project_name:
            raise ValueError("projectName is required when organizationSlug is set")
        if "{ref}" not in self.project_url_template:
            raise ValueError("projectUrlTemplate must contain {ref}")
        # The access token goes to the Management API, the service-role key to the project's URL.
        for key, url in (
            ("managementApiUrl", self.management_api_url),
            ("projectUrlTemplate", self.project_url_template.replace("{ref}", "a" * 20)),
        ):
            problem = insecure_url_problem(url)
            if problem:
                raise ValueError(f"{key}: {problem}")
        return self

    @property
    def enabled(self) -> bool:
        return self.organization_slug is not None


class SmtpConfig(BaseModel):
    model_config = SECTION_CONFIG

    host: str
    port: int = Field(default=587, ge=1, le=65535)
    user: str
    admin_email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    sender_name: str | None = None


class OAuthProviderConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    client_id: str | None = None
    # Microsoft only: the tenant URL (https://login.microsoftonline.com/<tenant>), None for any tenant.
    url: str | None = None

    @model_validator(mode="after")
    def _client_id_when_enabled(self) -> OAuthProviderConfig:
        if self.enabled and not self.client_id:
            raise ValueError("clientId is required when the provider is enabled")
        # The sign-in flow (codes, then tokens) goes through the tenant URL.
        problem = insecure_url_problem(self.url) if self.url is not None else None
        if problem:
            raise ValueError(f"url: {problem}")
        return self


class SupabaseAuthConfig(BaseModel):
    """Key `supabaseAuth`: guide 000 section 2.3. Unset fields are left as they are in the project."""

    model_config = SECTION_CONFIG

    site_url: str | None = Field(default=None, pattern=r"^https?://[^,\s]+$")
    redirect_urls: tuple[str, ...] = ()
    jwt_expiry_seconds: int = Field(default=3600, ge=30, le=604800)
    email_enabled: bool = True
    email_confirmation: bool = True
    secure_email_change: bool = True
    smtp: SmtpConfig | None = None
    google: OAuthProviderConfig | None = None
    github: OAuthProviderConfig | None = None
    azure: OAuthProviderConfig | None = None

    @field_validator("redirect_urls")
    @classmethod
    def _no_commas(cls, urls: tuple[str, ...]) -> tuple[str, ...]:
        bad = [url for url in urls if "," in url or not url.strip()]
        if bad:
            raise ValueError("redirect URLs may not be empty or contain commas (Supabase joins them with commas)")
        problems = [problem for url in urls if (problem := redirect_pattern_problem(url.strip()))]
        if problems:
            raise ValueError("; ".join(problems))
        return urls

    @field_validator("site_url")
    @classmethod
    def _site_url_is_https(cls, url: str | None) -> str | None:
        # Sign-in e-mails link here with the user's tokens.
        problem = insecure_url_problem(url) if url is not None else None
        if problem:
            raise ValueError(problem)
        return url


def _postgres_parameters(settings: dict[str, int | str | bool]) -> dict[str, int | str | bool]:
    from providers.supabase.database_settings import POSTGRES_PARAMETERS

    unknown = sorted(set(settings) - set(POSTGRES_PARAMETERS))
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)} cannot be set through the Supabase API; settable: "
            f"{', '.join(sorted(POSTGRES_PARAMETERS))}"
        )
    for key, value in settings.items():
        expected = POSTGRES_PARAMETERS[key]
        if type(value) is not expected:
            raise ValueError(f"{key} must be a {expected.__name__} (e.g. work_mem: '8MB', max_connections: 200)")
    return settings


def _cidrs(version: int) -> AfterValidator:
    def check(cidrs: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for cidr in cidrs or ():
            try:
                valid = ipaddress.ip_network(cidr, strict=False).version == version
            except ValueError:
                valid = False
            if not valid:
                raise ValueError(f"{cidr!r} is not an IPv{version} CIDR")
        return tuple(sorted(cidrs)) if cidrs is not None else None

    return AfterValidator(check)


class SupabaseDatabaseSettingsConfig(BaseModel):
    """Key `supabaseDatabase`: guide 002's production tuning through the API, SSL, network restrictions."""

    model_config = SECTION_CONFIG

    postgres: Annotated[dict[str, int | str | bool], AfterValidator(_postgres_parameters)] = Field(default_factory=dict)
    ssl_enforced: bool | None = True
    # None: leave the project's restrictions as they are. ["0.0.0.0/0"]: open to all.
    allowed_cidrs: Annotated[tuple[str, ...] | None, _cidrs(4)] = None
    allowed_cidrs_v6: Annotated[tuple[str, ...] | None, _cidrs(6)] = None


class FunctionConfig(BaseModel):
    """One entry of key `functions`: overrides of functions/<name>/function.json."""

    model_config = SECTION_CONFIG

    verify_jwt: bool | None = None


class CustomDomainConfig(BaseModel):
    """Key `supabaseCustomDomain`: optional; the DNS component creates the records it asks for."""

    model_config = SECTION_CONFIG

    hostname: str | None = Field(default=None, pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9-]+)+$")
    verify_timeout_seconds: int = Field(default=1800, ge=60, le=86400)


class AuthSecrets(BaseModel):
    """Secret key `authSecrets`."""

    model_config = SECTION_CONFIG

    smtp_pass: SecretStr | None = None
    google_secret: SecretStr | None = None
    github_secret: SecretStr | None = None
    azure_secret: SecretStr | None = None


# Named by the guides, read by nothing here: refused, so nobody believes the platform reports to them.
UNREAD_FUNCTION_SECRETS = {
    "DATADOG_API_KEY": "nothing sends to Datadog: function errors go to Sentry (SENTRY_DSN), metrics to "
    "CloudWatch (alerts.databaseMetrics); remove DATADOG_API_KEY from functionSecrets",
}


def _function_secret_names(secrets: dict[str, SecretStr]) -> dict[str, SecretStr]:
    unread = [UNREAD_FUNCTION_SECRETS[name] for name in sorted(secrets) if name in UNREAD_FUNCTION_SECRETS]
    if unread:
        raise ValueError("; ".join(unread))
    bad = [name for name in secrets if not SECRET_NAME_PATTERN.match(name) or name.upper().startswith("SUPABASE_")]
    if bad:
        raise ValueError(
            f"invalid secret names {', '.join(sorted(bad))}: letters, digits and _, not starting with SUPABASE_"
        )
    unused = sorted(name for name in secrets if name.upper() in UNUSED_FUNCTION_SECRETS)
    if unused:
        raise ValueError(
            f"{', '.join(unused)}: nothing in the platform reads it; users' credentials are not stored, so there is "
            "nothing to encrypt (docs/data.md). Remove it from functionSecrets"
        )
    empty = [name for name, value in secrets.items() if not value.get_secret_value()]
    if empty:
        raise ValueError(f"empty values for {', '.join(sorted(empty))}; remove them or set a value")
    return secrets


# Key `functionSecrets` (the resource that sets them is providers/supabase/function_secrets.py's FunctionSecrets).
FunctionSecretsConfig = Annotated[dict[str, SecretStr], AfterValidator(_function_secret_names)]


# A name is secret-looking when one of its _-separated words is one of these (MAX_TOKENS, a count, is not: TOKEN
# is singular) or when it contains one of the longer words anywhere (DBPASSWORD, MYSECRET).
SECRET_NAME_WORDS = frozenset({
    "KEY", "APIKEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASS", "PWD", "PASSPHRASE", "CREDENTIAL",
    "CREDENTIALS", "PRIVATE", "DSN", "SALT", "SIGNATURE", "CERT", "PEM",
})  # fmt: skip
SECRET_NAME_PARTS = ("SECRET", "PASSWORD", "PASSWD", "APIKEY", "PRIVATEKEY", "CREDENTIAL")


def looks_like_a_secret(name: str) -> bool:
    upper = name.upper()
    if upper in GUIDE_FUNCTION_SECRETS:
        return True
    return bool(SECRET_NAME_WORDS & set(upper.split("_"))) or any(part in upper for part in SECRET_NAME_PARTS)


def _function_setting_names(settings: dict[str, str]) -> dict[str, str]:
    bad = [name for name in settings if not SECRET_NAME_PATTERN.match(name) or name.upper().startswith("SUPABASE_")]
    if bad:
        raise ValueError(
            f"invalid setting names {', '.join(sorted(bad))}: letters, digits and _, not starting with SUPABASE_"
        )
    # functionSettings sit in plain text in Pulumi.<stack>.yaml and in the state; the guides' secret variables
    # and anything named like a credential go to functionSecrets, which Pulumi encrypts.
    secret_like = sorted(name for name in settings if looks_like_a_secret(name))
    if secret_like:
        names = ", ".join(secret_like)
        raise ValueError(
            f"{names} in functionSettings would be stored in plain text; secrets (the guides' list, and any name "
            "with KEY, SECRET, TOKEN, PASSWORD, PASS, ... in it) go in functionSecrets: remove each from "
            f"functionSettings and run `pulumi config set --secret --path 'functionSecrets.{secret_like[0]}' "
            "<value>`"
        )
    return settings


# Plain settings the functions read from their environment (AI_PROVIDER_FALLBACK_ORDER, SUPPORT_EMAIL_TO, ...).
FunctionSettingsConfig = Annotated[dict[str, str], AfterValidator(_function_setting_names)]
FunctionsConfig = dict[Annotated[str, Field(pattern=FUNCTION_NAME_PATTERN)], FunctionConfig]
