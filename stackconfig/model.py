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

    @model_validator(mode="after")
    def _aws_fronts_a_supabase_project(self) -> StackConfig:
        # The CDN's origin, the CSP, the backups and the health check all point at the Supabase project.
        if self.aws.enabled and not self.supabase.enabled:
            raise ValueError(
                "aws.enabled: the AWS parts front the stack's Supabase project; set supabase.organizationSlug "
                "(and supabase.projectName) or set aws.enabled: false"
            )
        domain, zone = self.supabase_custom_domain.hostname, self.dns.zone_name
        if domain and zone and domain != zone and not domain.endswith(f".{zone}"):
            raise ValueError(
                f"supabaseCustomDomain.hostname: {domain} is not inside dns.zoneName ({zone}); the program creates "
                "its records in that zone. Use a name inside it, or remove dns.zoneName and create them by hand"
            )
        return self
