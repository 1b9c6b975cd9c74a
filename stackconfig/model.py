"""The whole stack configuration: one field per key of Pulumi.yaml's config block."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr, model_validator

from stackconfig.aws import (
    AlertsConfig,
    AwsConfig,
    BackupConfig,
    CiIdentityConfig,
    DnsConfig,
    FrontendConfig,
    StorageCdnConfig,
    check_aws_sections,
)
from stackconfig.base import SECTION_CONFIG
from stackconfig.database import DatabaseConfig
from stackconfig.platform import Environment, FeatureFlags
from stackconfig.storage import StorageBuckets
from stackconfig.supabase import (
    AuthSecrets,
    CustomDomainConfig,
    FunctionsConfig,
    FunctionSecrets,
    SupabaseAuthConfig,
    SupabaseDatabaseSettingsConfig,
    SupabaseProjectConfig,
)


class StackConfig(BaseModel):
    model_config = SECTION_CONFIG

    environment: Environment
    app_name: str = Field(min_length=1, max_length=80)
    app_version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    feature_flags: FeatureFlags
    database: DatabaseConfig
    storage_buckets: StorageBuckets
    aws: AwsConfig
    frontend: FrontendConfig
    storage_cdn: StorageCdnConfig
    dns: DnsConfig
    backup: BackupConfig
    alerts: AlertsConfig
    ci_identity: CiIdentityConfig
    # Supabase (stackconfig/supabase.py); the last four are secret keys.
    supabase: SupabaseProjectConfig = SupabaseProjectConfig()
    supabase_auth: SupabaseAuthConfig = SupabaseAuthConfig()
    supabase_database: SupabaseDatabaseSettingsConfig = SupabaseDatabaseSettingsConfig()
    functions: FunctionsConfig = Field(default_factory=dict)
    supabase_custom_domain: CustomDomainConfig = CustomDomainConfig()
    supabase_access_token: SecretStr | None = None
    database_password: SecretStr | None = None
    function_secrets: FunctionSecrets = Field(default_factory=dict)
    auth_secrets: AuthSecrets = AuthSecrets()

    @model_validator(mode="after")
    def _check_aws_sections(self) -> StackConfig:
        check_aws_sections(self)
        return self
