"""Wires the AWS components from the stack config, so __main__.py makes one call for all of them.

Each part runs only when its section is enabled; which parts a stack has is decided by its stack file."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.alarms import Alarms, AlarmsArgs, MonitoredDistribution
from components.alert_webhooks import AlertTopic, AlertWebhooks, AlertWebhooksArgs
from components.aws_policy import GLOBAL_SERVICES_REGION
from components.aws_provider import aws_provider
from components.backup_job import BackupJob, BackupJobArgs, StorageS3Access
from components.backup_replica import BackupReplica, BackupReplicaArgs
from components.backup_storage import BackupStorage, BackupStorageArgs
from components.certificate import SiteCertificate, SiteCertificateArgs
from components.ci_identity import CiIdentity, CiIdentityArgs, PrunedBackupBucket
from components.cost_budget import CostBudget, CostBudgetArgs
from components.dashboard import DashboardArgs, DashboardDistribution, OperationsDashboard
from components.database_metrics import DatabaseMetrics, DatabaseMetricsArgs, LogSignalsArgs
from components.dns import AliasTarget, DomainRecords, DomainRecordsArgs, SupabaseDomainRecords
from components.document_archive import DocumentArchive, DocumentArchiveArgs
from components.frontend import Frontend, FrontendArgs
from components.provider_spend import ProviderSpend, ProviderSpendArgs
from components.storage_cdn import StorageCdn, StorageCdnArgs
from components.web_firewall import WebFirewall, WebFirewallArgs
from stackconfig.aws import AlertsConfig, AwsSections
from stackconfig.budget import BudgetConfig, ProviderSpendConfig
from stackconfig.model import StackConfig
from stackconfig.waf import WafConfig


@dataclass(frozen=True, kw_only=True)
class SupabaseInputs:
    """What the AWS side takes from the Supabase project (components/supabase_project.py)."""

    url: pulumi.Input[str]  # https://<ref>.supabase.co, or the project's custom domain
    database_url: pulumi.Input[str] | None = None  # session pooler URL with the password, a secret
    health_check_url: pulumi.Input[str] | None = None  # the `health-check` function's URL
    custom_domain: SupabaseDomainRecords | None = None
    storage_s3: StorageS3Access | None = None  # for the nightly backup's copy of the Storage buckets
    metrics_url: pulumi.Input[str] | None = None  # Supabase's Prometheus endpoint for the project's database
    service_role_key: pulumi.Input[str] | None = None  # that endpoint's basic-auth password, a secret
    # The log signals (function error rate, failed sign-ins) through the Management API's logs endpoint.
    project_ref: pulumi.Input[str] | None = None
    management_api_url: str = "https://api.supabase.com"
    logs_access_token: pulumi.Input[str] | None = None  # a secret; None: those alarms are off
    function_names: tuple[str, ...] = ()  # the deployed edge functions, for the dashboard's per-function widgets


@dataclass(frozen=True)
class AwsPlatform:
    """The stack outputs of the AWS parts; None for a part the stack does not have."""

    outputs: dict[str, pulumi.Input[str] | None]
    # The Route53 records, when the stack has a zone: the Supabase custom domain is activated after them.
    domain_records: DomainRecords | None = None

    def export(self) -> None:
        for key, value in self.outputs.items():
            if value is not None:
                pulumi.export(key, value)


def _log_signals(alerts: AlertsConfig, supabase: SupabaseInputs) -> LogSignalsArgs | None:
    if supabase.logs_access_token is None or supabase.project_ref is None:
        pulumi.log.info("supabaseLogsAccessToken is not set: no alarms on the function error rate or failed sign-ins")
        return None
    return LogSignalsArgs(
        management_api_url=supabase.management_api_url,
        project_ref=supabase.project_ref,
        access_token=supabase.logs_access_token,
        function_error_rate_percent=alerts.function_error_rate_percent,
        failed_sign_ins_per_5_minutes=alerts.failed_sign_ins_per_5_minutes,
        failed_sign_ins_min_sources=alerts.failed_sign_ins_min_sources,
        function_errors_min_sources=alerts.function_errors_min_sources,
        slow_query_milliseconds=alerts.slow_query_milliseconds,
    )


def build_aws_platform(config: StackConfig, supabase: SupabaseInputs) -> AwsPlatform:
    """Only the config's AWS sections are read."""
    sections = AwsSections.of(config)
    outputs: dict[str, pulumi.Input[str] | None] = dict.fromkeys(
        (
            "frontendUrl",
            "frontendBucket",
            "distributionId",
            "cdnDomain",
            "storageCdnUrl",
            "backupBucket",
            "alertsTopicArn",
            "dashboardName",
            "backupReplicaBucket",
            "backupReplicaRegion",
            "webAclArn",
            "archiveBucket",
        )
    )
    if not sections.aws.enabled:
        return AwsPlatform(outputs)
    stack = pulumi.get_stack()
    provider = aws_provider("aws", region=sections.aws.region)
    under_provider = pulumi.ResourceOptions(providers={"aws": provider})

    certificate = None
    if sections.dns.zone_name and sections.hostnames:
        certificate = SiteCertificate(
            "site-certificate",
            SiteCertificateArgs(zone_name=sections.dns.zone_name, hostnames=sections.hostnames),
            under_provider,
        )

    # One web ACL in front of both distributions (us-east-1, CLOUDFRONT scope), before them: they take its ARN.
    waf: WafConfig = getattr(config, "waf", WafConfig())
    firewall = None
    if waf.enabled:
        firewall = WebFirewall(
            "web-firewall",
            WebFirewallArgs(
                rate_limit_per_5_minutes=waf.rate_limit_per_5_minutes,
                count_only=waf.count_only,
                log_retention_days=waf.log_retention_days,
            ),
            under_provider,
        )
        outputs["webAclArn"] = firewall.web_acl_arn
    web_acl_arn = firewall.web_acl_arn if firewall is not None else None

    def certificate_for(hostname: str | None) -> pulumi.Input[str] | None:
        return certificate.certificate_arn if certificate is not None and hostname else None

    aliases: list[AliasTarget] = []
    monitored: list[MonitoredDistribution] = []
    storage_cdn = None
    if sections.storage_cdn.enabled:
        cdn = sections.storage_cdn
        storage_cdn = StorageCdn(
            "storage-cdn",
            StorageCdnArgs(
                supabase_url=supabase.url,
                hostname=cdn.hostname,
                certificate_arn=certificate_for(cdn.hostname),
                price_class=cdn.price_class,
                public_ttl_seconds=cdn.public_ttl_seconds,
                avatar_ttl_seconds=cdn.avatar_ttl_seconds,
                thumbnail_ttl_seconds=cdn.thumbnail_ttl_seconds,
                web_acl_arn=web_acl_arn,
            ),
            under_provider,
        )
        outputs["storageCdnUrl"] = storage_cdn.url
        monitored.append(MonitoredDistribution(label="storage-cdn", distribution_id=storage_cdn.distribution_id))
        if cdn.hostname:
            aliases.append(
                AliasTarget(
                    hostname=cdn.hostname,
                    domain_name=storage_cdn.domain_name,
                    hosted_zone_id=storage_cdn.hosted_zone_id,
                )
            )

    if sections.frontend.enabled:
        site = sections.frontend
        frontend = Frontend(
            "frontend",
            FrontendArgs(
                supabase_url=supabase.url,
                hostname=site.hostname,
                certificate_arn=certificate_for(site.hostname),
                storage_cdn_url=storage_cdn.url if storage_cdn is not None else None,
                price_class=site.price_class,
                web_acl_arn=web_acl_arn,
            ),
            under_provider,
        )
        outputs.update(
            frontendUrl=frontend.url,
            frontendBucket=frontend.bucket_name,
            distributionId=frontend.distribution_id,
            cdnDomain=frontend.domain_name,
        )
        monitored.append(MonitoredDistribution(label="frontend", distribution_id=frontend.distribution_id))
        if site.hostname:
            aliases.append(
                AliasTarget(
                    hostname=site.hostname, domain_name=frontend.domain_name, hosted_zone_id=frontend.hosted_zone_id
                )
            )

    domain_records = None
    if sections.dns.zone_name and (aliases or supabase.custom_domain is not None):
        zone_id = certificate.zone_id if certificate is not None else _zone_id(sections.dns.zone_name, provider)
        domain_records = DomainRecords(
            "domain-records",
            DomainRecordsArgs(zone_id=zone_id, aliases=aliases, supabase_domain=supabase.custom_domain),
            under_provider,
        )

    backup_job = None
    backup_storage = None
    pruned: list[PrunedBackupBucket] = []  # the backup buckets whose Storage copies the lifecycle job prunes
    if sections.backup.enabled:
        backup = sections.backup
        if supabase.database_url is None or backup.source_repository is None:
            raise ValueError("backup.enabled needs the Supabase database URL and backup.sourceRepository")
        storage_args = BackupStorageArgs(
            stack=stack,
            retention_days=backup.retention_days,
            noncurrent_transition_days=backup.noncurrent_transition_days,
            noncurrent_storage_class=backup.noncurrent_storage_class,
            noncurrent_expiration_days=backup.noncurrent_expiration_days,
            object_lock=backup.object_lock,
            protect=backup.protect,
        )
        backup_storage = BackupStorage("backups", storage_args, under_provider)
        pruned.append(
            PrunedBackupBucket(
                bucket_arn=backup_storage.bucket_arn, key_arn=backup_storage.key_arn, stack_prefix=backup_storage.prefix
            )
        )
        if backup.replica_region is not None:
            # A second copy outside the stack's region, read by the restore commands when the region is gone.
            replica = BackupReplica(
                "backup-replica",
                BackupReplicaArgs(
                    source_bucket_id=backup_storage.bucket_id,
                    source_bucket_arn=backup_storage.bucket_arn,
                    source_key_arn=backup_storage.key_arn,
                    source_region=sections.aws.region,
                    source_versioning=backup_storage.versioning,
                    replica_region=backup.replica_region,
                    storage=storage_args,
                ),
                under_provider,
            )
            outputs.update(backupReplicaBucket=replica.bucket_name, backupReplicaRegion=replica.region)
            pruned.append(
                PrunedBackupBucket(
                    bucket_arn=replica.bucket_arn, key_arn=replica.key_arn, stack_prefix=backup_storage.prefix
                )
            )
        backup_job = BackupJob(
            "backup-job",
            BackupJobArgs(
                bucket_name=backup_storage.bucket_name,
                stack=stack,
                writer_role_name=backup_storage.writer_role_name,
                writer_role_arn=backup_storage.writer_role_arn,
                database_url=supabase.database_url,
                source_repository=backup.source_repository,
                source_version=backup.source_version,
                source_connection_arn=backup.source_connection_arn,
                schedule=backup.schedule,
                schedule_timezone=backup.schedule_timezone,
                postgres_client_version=backup.postgres_client_version,
                build_timeout_minutes=backup.build_timeout_minutes,
                log_retention_days=backup.log_retention_days,
                storage=supabase.storage_s3 if backup.include_storage else None,
            ),
            under_provider,
        )
        outputs["backupBucket"] = backup_storage.bucket_name

    # The cold tier for documents unopened for retention.archiveAfterDays (null: nothing is archived, no bucket).
    archive = None
    if config.retention.archive_after_days is not None:
        archive = DocumentArchive(
            "document-archive", DocumentArchiveArgs(protect=sections.backup.protect), under_provider
        )
        outputs["archiveBucket"] = archive.bucket_name

    if sections.alerts.enabled:
        alerts = sections.alerts
        alarms = Alarms(
            "alerts",
            AlarmsArgs(
                region=sections.aws.region,
                emails=alerts.emails,
                distributions=monitored,
                cdn_5xx_rate_percent=alerts.cdn_5xx_rate_percent,
                backup_project_name=backup_job.project_name if backup_job is not None else None,
                max_hours_without_success=sections.backup.max_hours_without_success,
                health_check_url=supabase.health_check_url if alerts.health_check else None,
                health_check_interval_seconds=alerts.health_check_interval_seconds,
                health_check_failure_threshold=alerts.health_check_failure_threshold,
            ),
            under_provider,
        )
        outputs["alertsTopicArn"] = alarms.topic_arn
        extra_alarms: list[pulumi.Output[str]] = []  # the firewall's and the spend meter's, for the dashboard
        webhooks = config.alert_webhooks.configured()
        if webhooks:
            topics = [AlertTopic(label="regional", region=sections.aws.region, topic_arn=alarms.topic_arn)]
            if sections.aws.region != GLOBAL_SERVICES_REGION:
                topics.append(
                    AlertTopic(label="global", region=GLOBAL_SERVICES_REGION, topic_arn=alarms.global_topic_arn)
                )
            AlertWebhooks(
                "alert-webhooks",
                AlertWebhooksArgs(
                    region=sections.aws.region,
                    topics=topics,
                    **{f"{service}_url": pulumi.Output.secret(url) for service, url in webhooks.items()},
                ),
                under_provider,
            )
        if firewall is not None:
            extra_alarms.append(
                firewall.alarm_on_blocked_requests(
                    threshold=waf.blocked_requests_alarm_per_5_minutes, topic_arn=alarms.global_topic_arn
                ).arn
            )
        budget: BudgetConfig = getattr(config, "budget", BudgetConfig())
        if budget.enabled:
            CostBudget(
                "cost-budget",
                CostBudgetArgs(
                    monthly_limit_usd=budget.monthly_limit_usd,
                    actual_threshold_percent=budget.actual_threshold_percent,
                    forecast_threshold_percent=budget.forecast_threshold_percent,
                    topic_arn=alarms.topic_arn,
                ),
                under_provider,
            )
        spend: ProviderSpendConfig = getattr(config, "provider_spend", ProviderSpendConfig())
        meter = None
        if spend.enabled and supabase.service_role_key is not None:
            meter = ProviderSpend(
                "provider-spend",
                ProviderSpendArgs(
                    supabase_url=supabase.url,
                    service_role_key=supabase.service_role_key,
                    topic_arn=alarms.topic_arn,
                    daily_ceiling_usd=spend.daily_ceiling_usd,
                ),
                under_provider,
            )
            extra_alarms.extend(meter.alarm_arns)
        database_metrics = None
        if alerts.database_metrics and supabase.metrics_url is not None and supabase.service_role_key is not None:
            database_metrics = DatabaseMetrics(
                "database-metrics",
                DatabaseMetricsArgs(
                    metrics_url=supabase.metrics_url,
                    service_role_key=supabase.service_role_key,
                    topic_arn=alarms.topic_arn,
                    cpu_percent=alerts.database_cpu_percent,
                    memory_percent=alerts.database_memory_percent,
                    disk_percent=alerts.database_disk_percent,
                    connections_percent=alerts.database_connections_percent,
                    logs=_log_signals(alerts, supabase),
                    backup_bucket_name=backup_storage.bucket_name if backup_storage is not None else None,
                    backup_bucket_arn=backup_storage.bucket_arn if backup_storage is not None else None,
                    max_hours_without_backup=sections.backup.max_hours_without_success,
                ),
                under_provider,
            )
        if alerts.dashboard:
            dashboard = OperationsDashboard(
                "operations",
                DashboardArgs(
                    region=sections.aws.region,
                    alarm_arns=[
                        *alarms.alarm_arns,
                        *(database_metrics.alarm_arns if database_metrics else []),
                        *extra_alarms,
                    ],
                    function_names=supabase.function_names,
                    distributions=[
                        DashboardDistribution(label=m.label, distribution_id=m.distribution_id) for m in monitored
                    ],
                    backup_project_name=backup_job.project_name if backup_job is not None else None,
                    health_check_id=alarms.health_check_id,
                    database_metrics=database_metrics is not None,
                    logs_metrics=database_metrics is not None and supabase.logs_access_token is not None,
                    provider_spend=meter is not None,
                    # The scraper publishes the newest backup's age when it can list the backup bucket.
                    backup_age_hours_limit=(
                        sections.backup.max_hours_without_success
                        if database_metrics is not None and backup_storage is not None
                        else None
                    ),
                ),
                under_provider,
            )
            outputs["dashboardName"] = dashboard.dashboard_name

    if sections.ci_identity.enabled:
        ci = sections.ci_identity
        assert ci.github_repository is not None  # the config model requires it when enabled
        CiIdentity(
            "ci-identity",
            CiIdentityArgs(
                github_repository=ci.github_repository,
                deploy_branch=ci.deploy_branch,
                deploy_environment=ci.deploy_environment,
                oidc_provider_arn=ci.oidc_provider_arn,
                deploy_policy_arns=ci.deploy_policy_arns,
                preview_policy_arns=ci.preview_policy_arns,
                backup_bucket_arn=backup_storage.bucket_arn if backup_storage is not None else None,
                lifecycle_environment=f"data-lifecycle-{stack}",
                archive_bucket_arn=archive.bucket_arn if archive is not None else None,
                pruned_backup_buckets=pruned,
            ),
            under_provider,
        )

    return AwsPlatform(outputs, domain_records)


def _zone_id(zone_name: str, provider: pulumi.ProviderResource) -> pulumi.Output[str]:
    import pulumi_aws as aws

    return aws.route53.get_zone_output(
        name=zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(provider=provider)
    ).zone_id
