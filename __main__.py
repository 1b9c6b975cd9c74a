"""The AI Super Assistant platform's backend, one stack per environment.

Reads the stack's config once (a bad key stops here, before anything is touched), then wires one
component per concern. Stack differences live in Pulumi.<stack>.yaml, never in this file.
"""

import pulumi

from components.aws_platform import SupabaseInputs, build_aws_platform
from components.backup_job import StorageS3Access
from components.cors_origins import CORS_SETTING, CorsOrigins, CorsOriginsArgs
from components.database import Database, DatabaseArgs
from components.function_schedules import FunctionSchedules, FunctionSchedulesArgs
from components.local_storage import LocalStorage, LocalStorageArgs
from components.stripe_webhook import StripeWebhook, StripeWebhookArgs
from components.supabase_project import SupabaseProject, SupabaseProjectArgs
from providers.supabase.function_bundle import discover_functions
from stackconfig import load_stack_config, supabase_auth_groups
from stackconfig.deploy_files import check_deploy_files

config = load_stack_config()
# Every file the deploy reads (migrations, functions, their schedules) is checked before any resource exists.
check_deploy_files(config)

# ------------------------------------------------------------------ database
# The local stack names its database; stacks with a Supabase project connect through its pooler.
database_url: pulumi.Input[str] | None = config.database.local_url
if database_url is not None:
    database = Database("platform-db", DatabaseArgs.from_config(config, pulumi.Output.secret(database_url)))
    pulumi.export("appliedMigrations", database.applied_count)
    # The local stack has no Storage service: its buckets are rows in storage.buckets.
    LocalStorage(
        "local-storage",
        LocalStorageArgs.from_config(config, pulumi.Output.secret(database_url)),
        pulumi.ResourceOptions(depends_on=[database]),
    )

# ------------------------------------------------------------------ supabase
# Staging and prod each own one Supabase project (settings, secrets, functions, buckets); local has none.
if config.supabase.enabled:
    supabase = SupabaseProject("supabase", SupabaseProjectArgs.from_config(config))
    # The migrations reach the project through its session pooler (the direct host is IPv6-only).
    supabase_database = Database("platform-db", DatabaseArgs.from_config(config, supabase.pooler_connection_string))
    pulumi.export("appliedMigrations", supabase_database.applied_count)
    # The functions go live after the migrations: new code never runs on the old schema.
    supabase.deploy_functions(after=[supabase_database])
    # Functions whose function.json has a "schedule": pg_cron calls them through pg_net, the key in Vault.
    FunctionSchedules(
        "function-schedules",
        FunctionSchedulesArgs.from_config(
            config,
            connection=supabase.pooler_connection_string,
            functions_url=supabase.functions_url,
            service_role_key=supabase.service_role_key,
        ),
        pulumi.ResourceOptions(depends_on=[supabase_database, supabase]),
    )
    # What the frontend build needs; the anon key is public by design, the service-role key never leaves.
    pulumi.export("supabaseUrl", supabase.url)
    pulumi.export("supabaseAnonKey", supabase.anon_key)
    pulumi.export("supabaseProjectRef", supabase.ref)
    pulumi.export("functionsUrl", supabase.functions_url)

    # Stripe's webhook endpoint for subscription-manager; its signing secret goes into the function's secrets.
    if config.stripe_webhook.enabled:
        stripe_webhook = StripeWebhook(
            "stripe-webhook", StripeWebhookArgs.from_config(config, supabase.ref, supabase.functions_url)
        )
        pulumi.export("stripeWebhookEndpointId", stripe_webhook.endpoint_id)
    # Stripe.js in the browser takes the publishable key (public by design; VITE_STRIPE_PUBLISHABLE_KEY).
    if config.stripe_publishable_key is not None:
        pulumi.export("stripePublishableKey", config.stripe_publishable_key)

    # -------------------------------------------------------------- aws
    # CDN, DNS and certificates, backups, alarms and CI identity around the project; each part is switched on
    # by its section of the stack file (staging may run without a domain, local has none of them).
    aws = build_aws_platform(
        config,
        SupabaseInputs(
            url=supabase.url,
            database_url=supabase.pooler_connection_string,
            health_check_url=supabase.functions_url.apply(lambda url: f"{url}/health-check"),
            custom_domain=supabase.custom_domain_records(),
            # Database metrics for the alarms: Supabase's Prometheus endpoint, the service-role key as password.
            metrics_url=supabase.url.apply(lambda url: f"{url}/customer/v1/privileged/metrics"),
            service_role_key=supabase.service_role_key,
            # Function error rate and failed sign-ins: the logs endpoint, with a token that may only read.
            project_ref=supabase.ref,
            management_api_url=config.supabase.management_api_url,
            logs_access_token=(
                pulumi.Output.secret(config.supabase_logs_access_token.get_secret_value())
                if config.supabase_logs_access_token
                else None
            ),
            # The dashboard's per-function widgets: the functions this program deploys.
            function_names=tuple(discover_functions(config.supabase.functions_dir)),
            # The nightly backup reads Storage through its S3 endpoint with the service-role key as session token.
            storage_s3=StorageS3Access(
                endpoint_url=supabase.url.apply(lambda url: f"{url}/storage/v1/s3"),
                region=config.supabase.region,
                access_key_id=supabase.ref,
                secret_access_key=supabase.anon_key,
                session_token=supabase.service_role_key,
            ),
        ),
    )
    aws.export()
    # Supabase verifies the custom domain by its DNS records, so activation waits until Route53 has them.
    supabase.activate_custom_domain(dns_records=[aws.domain_records] if aws.domain_records is not None else [])

    # CORS: the functions answer the frontend's own origins (never `*`) unless functionSettings names them.
    if CORS_SETTING not in config.function_settings and CORS_SETTING not in config.function_secrets:
        CorsOrigins(
            "cors-origins",
            CorsOriginsArgs(
                project_ref=supabase.ref,
                sources=[
                    source
                    for source in (
                        supabase_auth_groups.site_url(config),
                        aws.outputs.get("frontendUrl"),
                        aws.outputs.get("cdnDomain"),
                    )
                    if source is not None
                ],
                management_api_url=config.supabase.management_api_url,
                after=[supabase.function_secrets],
            ),
        )

# ------------------------------------------------------------------ frontend build
# Public values the frontend's .env.production is written from (`python -m ops frontend-env`).
pulumi.export("environment", config.environment)
pulumi.export("appName", config.app_name)
pulumi.export("appVersion", config.app_version)
pulumi.export("featureFlags", config.feature_flags.model_dump(by_alias=True))
if config.frontend_sentry_dsn:
    pulumi.export("frontendSentryDsn", config.frontend_sentry_dsn)
