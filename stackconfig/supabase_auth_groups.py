"""Every [auth.*] group of config.toml for the stack: from the file `supabase.configToml` (with its remote for
`supabase.projectRef` and env() references), with `supabaseConfig` (the file's shape) laid over it, and their
secrets from the secret key `supabaseAuthSecrets` (or the older `authSecrets`). Read once to validate the
stack config and again by the composition; stackconfig/config_toml reads the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from stackconfig.config_toml import ApiFields, read_config
from stackconfig.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from stackconfig.model import StackConfig

# The older authSecrets keys, by the Auth field they fill.
LEGACY_SECRET_KEYS = {
    "smtp_pass": "smtp_pass",
    "external_google_secret": "google_secret",
    "external_github_secret": "github_secret",
    "external_azure_secret": "azure_secret",
}


def auth_groups(config: StackConfig) -> ApiFields:
    """The managed Auth fields of the file (relative to the checkout) and supabaseConfig, secrets by field."""
    return _read(config).get("auth", ApiFields())


def third_party_issuer(config: StackConfig) -> str | None:
    """The OIDC issuer of the enabled [auth.third_party.<provider>], if any."""
    return _read(config).get("auth_third_party", ApiFields()).settings.get("oidc_issuer_url")


def read_groups(config: StackConfig) -> dict[str, ApiFields]:
    """Every group of the file and supabaseConfig, by service (auth, api, database, pooler, storage)."""
    return _read(config)


def _read(config: StackConfig) -> dict[str, ApiFields]:
    path = config.supabase.config_toml
    return read_config(
        # an absolute configToml stays as it is
        (PROJECT_ROOT / path) if path else None,
        project_ref=config.supabase.project_ref,
        overrides=config.supabase_config,
    )


def secret_values(config: StackConfig, fields: ApiFields) -> dict[str, SecretStr]:
    """The Pulumi secret of every secret field the groups name; a missing one stops the program, naming it."""
    values: dict[str, SecretStr] = {}
    missing = []
    for api, where in sorted(fields.secrets.items()):
        legacy = LEGACY_SECRET_KEYS.get(api)
        value = config.supabase_auth_secrets.get(api) or (getattr(config.auth_secrets, legacy) if legacy else None)
        if value is None or not value.get_secret_value():
            missing.append(f"{where} needs `pulumi config set --secret --path 'supabaseAuthSecrets.{api}' <value>`")
        else:
            values[api] = value
    if missing:
        raise ValueError("; ".join(missing))
    return values


def check(config: StackConfig) -> list[str]:
    """Problems of the groups, for the stack config's validation."""
    from providers.supabase.auth_fields import SECRET_FIELDS
    from stackconfig.supabase import SupabaseAuthConfig

    problems = [
        f"supabaseAuthSecrets.{name}: not a secret field of the Auth config ({', '.join(SECRET_FIELDS[:3])}, ...)"
        for name in sorted(set(config.supabase_auth_secrets) - set(SECRET_FIELDS))
    ]
    if config.supabase.config_toml and config.supabase_auth != SupabaseAuthConfig():
        problems.append(
            "supabaseAuth: with supabase.configToml the file holds the Auth settings; leave supabaseAuth at its "
            "defaults and override in supabaseConfig (the file's shape, e.g. {auth: {site_url: ...}})"
        )
    try:
        secret_values(config, auth_groups(config))
    except ValueError as error:
        problems.append(str(error))
    return problems


def site_url(config: StackConfig) -> str | None:
    """Auth's site URL, wherever the stack sets it (the CORS origins default to it)."""
    return auth_groups(config).settings.get("site_url") or config.supabase_auth.site_url
