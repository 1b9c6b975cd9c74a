"""The whole stack configuration: one field per key of Pulumi.yaml's config block."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from stackconfig import supabase_auth_groups
from stackconfig.aws import (
    AlertsConfig,
    AlertWebhooks,
    AwsConfig,
    BackupConfig,
    CiIdentityConfig,
    DnsConfig,
    FrontendConfig,
    StorageCdnConfig,
    check_aws_sections,
)
from stackconfig.base import SECTION_CONFIG
from stackconfig.branch import SupabaseBranchConfig, live_key_names
from stackconfig.budget import BudgetConfig, ProviderSpendConfig, budget_problems, provider_spend_problems
from stackconfig.database import DatabaseConfig
from stackconfig.platform import Environment, FeatureFlags
from stackconfig.retention import RetentionConfig
from stackconfig.storage import BucketsConfig
from stackconfig.stripe import SIGNING_SECRET_NAME, StripeWebhookConfig, publishable_key_problem
from stackconfig.supabase import (
    AuthSecrets,
    CustomDomainConfig,
    FunctionsConfig,
    FunctionSecretsConfig,
    FunctionSettingsConfig,
    SupabaseAuthConfig,
    SupabaseDatabaseSettingsConfig,
    SupabaseProjectConfig,
)
from stackconfig.supabase_service_groups import service_groups
from stackconfig.supabase_services import SupabaseApiConfig, SupabasePoolerConfig, SupabaseStorageSettingsConfig
from stackconfig.waf import WafConfig, waf_problems

# https://supabase.com/docs/guides/functions/limits: outgoing connections to these ports are not allowed.
BLOCKED_SMTP_PORTS = frozenset({"25", "587"})


class StackConfig(BaseModel):
    model_config = SECTION_CONFIG

    environment: Environment
    app_name: str = Field(min_length=1, max_length=80)
    app_version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    feature_flags: FeatureFlags
    # The browser's Sentry DSN (public: it can only send events), written as VITE_SENTRY_DSN by ops frontend-env.
    frontend_sentry_dsn: str | None = Field(
        default=None, pattern=r"^https://[A-Za-z0-9]+@[A-Za-z0-9.-]+(:\d+)?/(.+/)?\d+$"
    )
    database: DatabaseConfig
    storage_buckets: BucketsConfig
    retention: RetentionConfig = RetentionConfig()

    @field_validator("frontend_sentry_dsn", mode="before")
    @classmethod
    def _empty_dsn_is_none(cls, value: object) -> object:
        return None if value == "" else value

    aws: AwsConfig
    frontend: FrontendConfig
    storage_cdn: StorageCdnConfig
    dns: DnsConfig
    backup: BackupConfig
    alerts: AlertsConfig
    ci_identity: CiIdentityConfig
    # The web firewall and the cost budget (stackconfig/waf.py, stackconfig/budget.py).
    waf: WafConfig = WafConfig()
    budget: BudgetConfig = BudgetConfig()
    provider_spend: ProviderSpendConfig = ProviderSpendConfig()
    # Supabase (stackconfig/supabase.py); the last four are secret keys.
    supabase: SupabaseProjectConfig = SupabaseProjectConfig()
    supabase_auth: SupabaseAuthConfig = SupabaseAuthConfig()
    supabase_database: SupabaseDatabaseSettingsConfig = SupabaseDatabaseSettingsConfig()
    functions: FunctionsConfig = Field(default_factory=dict)
    function_settings: FunctionSettingsConfig = Field(default_factory=dict)
    supabase_custom_domain: CustomDomainConfig = CustomDomainConfig()
    # A branch of the parent project instead of a project of its own (previews, dev): stackconfig/branch.py.
    supabase_branch: SupabaseBranchConfig = SupabaseBranchConfig()
    # The Data API, Storage service and pooler settings (stackconfig/supabase_services.py).
    supabase_api: SupabaseApiConfig = SupabaseApiConfig()
    supabase_storage_settings: SupabaseStorageSettingsConfig = SupabaseStorageSettingsConfig()
    supabase_pooler: SupabasePoolerConfig = SupabasePoolerConfig()
    supabase_access_token: SecretStr | None = None
    database_password: SecretStr | None = None
    function_secrets: FunctionSecretsConfig = Field(default_factory=dict)
    auth_secrets: AuthSecrets = AuthSecrets()
    # config.toml's shape, laid over supabase.configToml; its secrets by Auth field (stackconfig/supabase_auth_groups.py).
    supabase_config: dict[str, Any] = Field(default_factory=dict)
    supabase_auth_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    stripe_webhook: StripeWebhookConfig = StripeWebhookConfig()
    stripe_secret_key: SecretStr | None = None
    # Public by design (Stripe.js in the browser); "" in Pulumi.yaml's default means unset.
    stripe_publishable_key: str | None = None
    # Read by the metrics scraper only (alerts.functionErrorRatePercent, failedSignInsPer5Minutes).
    supabase_logs_access_token: SecretStr | None = None
    # The ceiling the free tier's daily spend budgets must stay under (tests/schema/test_spend_budgets.py).
    free_tier_daily_spend_ceiling_cents: int = Field(default=200, ge=1, le=100_000)
    # Slack, PagerDuty and Opsgenie URLs the alerts topics deliver to (components/alert_webhooks.py).
    alert_webhooks: AlertWebhooks = AlertWebhooks()

    @field_validator("stripe_publishable_key")
    @classmethod
    def _publishable_key(cls, value: str | None) -> str | None:
        if not value:
            return None
        problem = publishable_key_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _auth_groups_read(self) -> StackConfig:
        problems = supabase_auth_groups.check(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _check_aws_sections(self) -> StackConfig:
        check_aws_sections(self)
        return self

    @model_validator(mode="after")
    def _waf_and_budget_have_what_they_need(self) -> StackConfig:
        problems = waf_problems(
            self.waf,
            aws_enabled=self.aws.enabled,
            distributions=int(self.frontend.enabled) + int(self.storage_cdn.enabled),
        )
        problems += budget_problems(self.budget, aws_enabled=self.aws.enabled, alerts_enabled=self.alerts.enabled)
        problems += provider_spend_problems(
            self.provider_spend, aws_enabled=self.aws.enabled, alerts_enabled=self.alerts.enabled
        )
        if self.backup.replica_region is not None and self.backup.replica_region == self.aws.region:
            problems.append(
                f"backup.replicaRegion: {self.backup.replica_region} is aws.region; a replica in the "
                "same region is lost with it, choose another region"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _settings_and_secrets_do_not_overlap(self) -> StackConfig:
        both = sorted(set(self.function_settings) & set(self.function_secrets))
        if both:
            raise ValueError(
                f"functionSettings and functionSecrets both set {', '.join(both)}; keep each name in one of them "
                "(functionSecrets for anything sensitive)"
            )
        return self

    @model_validator(mode="after")
    def _stripe_webhook_owns_its_signing_secret(self) -> StackConfig:
        if not self.stripe_webhook.enabled:
            return self
        if not self.supabase.enabled:
            raise ValueError(
                "stripeWebhook.enabled: the endpoint points at the stack's Supabase functions; set "
                "supabase.organizationSlug or set stripeWebhook.enabled: false"
            )
        if SIGNING_SECRET_NAME in self.function_secrets or SIGNING_SECRET_NAME in self.function_settings:
            raise ValueError(
                f"{SIGNING_SECRET_NAME}: the stack's Stripe webhook endpoint sets it (stripeWebhook is "
                "enabled); remove it from functionSecrets"
            )
        return self

    @model_validator(mode="after")
    def _smtp_port_reachable_from_supabase(self) -> StackConfig:
        # Only functionSecrets: functionSettings refuses SMTP_PORT, one of the guides' secrets.
        secret = self.function_secrets.get("SMTP_PORT")
        if secret is not None and secret.get_secret_value().strip() in BLOCKED_SMTP_PORTS:
            raise ValueError(
                "SMTP_PORT: Supabase's edge runtime refuses outgoing connections to ports 25 and 587 (guide 000 uses "
                "587); use 465 (implicit TLS) or your provider's alternative port, e.g. 2465 or 2587"
            )
        return self

    @model_validator(mode="after")
    def _storage_limit_covers_the_buckets(self) -> StackConfig:
        largest = max((bucket.file_size_limit for bucket in self.storage_buckets), default=0)
        # config.toml's [storage] (supabase.configToml) counts too: its limit may not refuse a bucket's uploads.
        services = service_groups(self)
        problem = services.storage.limit_problem(largest, services.storage_limit_key)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _one_database_per_stack(self) -> StackConfig:
        # Each would deploy its own Database("platform-db"): the program would fail on the duplicate name, after
        # the project was already created, and the two databases would take turns being the stack's schema.
        if self.database.local_url is not None and self.supabase.enabled:
            raise ValueError(
                "database.localUrl: this stack has a Supabase project (supabase.organizationSlug is set), whose "
                "migrations go through the project's pooler; localUrl is for the local stack only. Remove "
                "database.localUrl, or remove supabase.organizationSlug for a stack without a project"
            )
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

    @model_validator(mode="after")
    def _previews_stay_cheap_and_in_test_mode(self) -> StackConfig:
        branch = self.supabase_branch
        if not branch.enabled:
            return self
        if not self.supabase.enabled:
            raise ValueError(
                "supabaseBranch.enabled: a branch needs its parent; set supabase.organizationSlug and "
                "supabase.projectName to the parent project's (staging's)"
            )
        if self.supabase_custom_domain.hostname or self.supabase.pitr_retention_days is not None:
            raise ValueError(
                "supabaseBranch.enabled: custom domains and PITR belong to the parent project; remove "
                "supabaseCustomDomain.hostname and supabase.pitrRetentionDays from this stack"
            )
        if branch.persistent:
            return self
        # A preview runs a pull request's unreviewed code: no live keys, nothing outside the branch to clean up.
        live = live_key_names(self.function_secrets)
        if live:
            raise ValueError(
                f"functionSecrets: {', '.join(live)} hold live-mode keys; a preview takes test-mode keys only "
                "(the `preview` environment's PREVIEW_SECRET_* values, docs/previews.md)"
            )
        if self.aws.enabled or self.stripe_webhook.enabled:
            raise ValueError(
                "supabaseBranch: a preview runs without AWS and without a Stripe endpoint (everything it creates "
                "lives inside the branch, so deleting the branch removes it all); set aws.enabled and "
                "stripeWebhook.enabled to false"
            )
        return self
