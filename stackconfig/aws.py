"""The AWS around the platform, one section per concern: where it runs, the frontend and storage CDNs, the
domain, backups, alerts and the CI identity. Every part is off unless its stack file switches it on, so the
local stack needs no AWS account at all."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field, SecretStr, model_validator

from stackconfig.base import SECTION_CONFIG

if TYPE_CHECKING:  # the model imports this module
    from stackconfig.model import StackConfig

HOSTNAME_PATTERN = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
REGION_PATTERN = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
IAM_POLICY_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$"
# EventBridge Scheduler expressions: cron with six fields, or rate(N minutes|hours|days).
SCHEDULE_PATTERN = r"^(cron\((\S+ ){5}\S+\)|rate\(\d+ (minute|minutes|hour|hours|day|days)\))$"

PriceClass = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
# Storage classes a lifecycle rule may move older (noncurrent) dump versions to.
ColdStorageClass = Literal["STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]


class AwsConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    region: str = Field(default="eu-central-1", pattern=REGION_PATTERN)


class FrontendConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    # Needs dns.zoneName; without it the site answers on the distribution's *.cloudfront.net name.
    hostname: str | None = Field(default=None, pattern=HOSTNAME_PATTERN)
    price_class: PriceClass = "PriceClass_100"


class StorageCdnConfig(BaseModel):
    """CloudFront in front of the project's public Storage objects (guide 002, "Configure CDN and Caching")."""

    model_config = SECTION_CONFIG

    enabled: bool = False
    hostname: str | None = Field(default=None, pattern=HOSTNAME_PATTERN)
    price_class: PriceClass = "PriceClass_100"
    # The origin's Cache-Control wins between these bounds; the default applies when it sends none.
    public_ttl_seconds: int = Field(default=86_400, ge=1, le=31_536_000)
    # Avatars are replaced in place under the same name, so they stay short.
    avatar_ttl_seconds: int = Field(default=3_600, ge=1, le=31_536_000)
    # Thumbnails are derived once per document: the guide caches them a month.
    thumbnail_ttl_seconds: int = Field(default=2_592_000, ge=1, le=31_536_000)


class DnsConfig(BaseModel):
    model_config = SECTION_CONFIG

    # An existing public Route53 zone (looked up, never created); null means the stack has no domain.
    zone_name: str | None = Field(default=None, pattern=HOSTNAME_PATTERN)


class BackupConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    schedule: str = Field(default="cron(0 2 * * ? *)", pattern=SCHEDULE_PATTERN)
    schedule_timezone: str = "UTC"
    # Guide 000 section 8.5 keeps 30 days of dumps.
    retention_days: int = Field(default=30, ge=1, le=3650)
    # Older versions (an overwritten or expired dump) move to a colder class, then expire.
    noncurrent_transition_days: int = Field(default=7, ge=1, le=3650)
    noncurrent_storage_class: ColdStorageClass = "GLACIER_IR"
    noncurrent_expiration_days: int = Field(default=90, ge=1, le=3650)
    # Object Lock (governance mode, retentionDays) can only be switched on when the bucket is created.
    object_lock: bool = False
    # Refuse `pulumi destroy` on the bucket and its key (they are retained on delete in every stack anyway).
    protect: bool = False
    # The alarm fires when no run succeeded for this long: the schedule's period plus some slack.
    max_hours_without_success: int = Field(default=26, ge=1, le=168)
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731] = 90
    # The repository the job checks out to run `python -m ops backup`, and its branch.
    source_repository: str | None = Field(default=None, pattern=REPOSITORY_PATTERN)
    source_version: str = Field(default="main", min_length=1)
    # A CodeConnections (GitHub app) connection, needed when the repository is private.
    source_connection_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:code(connections|star-connections):"
    )
    # pg_dump must be at least the server's major version.
    postgres_client_version: int = Field(default=17, ge=15, le=18)
    build_timeout_minutes: int = Field(default=60, ge=5, le=480)
    # Copy the Storage buckets (documents, avatars, attachments) into each backup, changed objects only.
    include_storage: bool = True
    # A second region the bucket is replicated to (components/backup_replica.py); null: no replica.
    replica_region: str | None = Field(default=None, pattern=REGION_PATTERN)

    @model_validator(mode="after")
    def _check(self) -> BackupConfig:
        if self.noncurrent_expiration_days <= self.noncurrent_transition_days:
            raise ValueError(
                "noncurrentExpirationDays must be greater than noncurrentTransitionDays "
                f"({self.noncurrent_expiration_days} <= {self.noncurrent_transition_days})"
            )
        if self.noncurrent_storage_class in ("STANDARD_IA", "ONEZONE_IA") and self.noncurrent_transition_days < 30:
            raise ValueError(f"noncurrentTransitionDays must be at least 30 for {self.noncurrent_storage_class}")
        if self.enabled and self.source_repository is None:
            raise ValueError("sourceRepository (owner/name) is required when backups are enabled")
        rate = re.match(r"^rate\((\d+) (minute|hour|day)s?\)$", self.schedule)
        if rate:
            hours = int(rate.group(1)) * {"minute": 1 / 60, "hour": 1, "day": 24}[rate.group(2)]
            if hours >= self.max_hours_without_success:
                raise ValueError(
                    f"maxHoursWithoutSuccess ({self.max_hours_without_success}) must exceed the schedule's "
                    f"period ({self.schedule}), or the alarm fires between two healthy runs"
                )
        return self


class AlertsConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    emails: tuple[str, ...] = ()
    # Average share of 5xx answers, in percent, over three 5-minute periods (two must breach).
    cdn_5xx_rate_percent: float = Field(default=5.0, gt=0, le=100, alias="cdn5xxRatePercent")
    # Route53 checks the `health-check` edge function from several regions.
    health_check: bool = True
    health_check_interval_seconds: Literal[10, 30] = 30
    health_check_failure_threshold: int = Field(default=3, ge=1, le=10)
    # The database's CPU, memory, disk and connection use scraped into CloudWatch, alarmed at guide 000 10.2:
    # CPU over databaseCpuPercent for three 5-minute periods, the others over theirs in one.
    database_metrics: bool = True
    # A CloudWatch dashboard of everything above (components/dashboard.py).
    dashboard: bool = True
    database_cpu_percent: float = Field(default=80.0, gt=0, le=100)
    database_memory_percent: float = Field(default=90.0, gt=0, le=100)
    database_disk_percent: float = Field(default=90.0, gt=0, le=100)
    database_connections_percent: float = Field(default=95.0, gt=0, le=100)
    # A statement whose mean time (pg_stat_statements) is over this is slow (guide 000 10.2: 1 second).
    slow_query_milliseconds: float = Field(default=1000.0, gt=0, le=3_600_000)
    # Guide 000 section 7.2's log signals (need the secret supabaseLogsAccessToken): the edge functions' share of
    # 5xx answers over three 5-minute periods, and refused sign-ins in one 5-minute period.
    function_error_rate_percent: float = Field(default=5.0, gt=0, le=100)
    failed_sign_ins_per_5_minutes: int = Field(default=50, ge=1)
    # How many distinct client addresses a log signal needs before it alarms (as the database's platform alerts
    # need distinct accounts): one client alone cannot page the team; the dashboard still shows its figures.
    failed_sign_ins_min_sources: int = Field(default=3, ge=2, le=1000)
    function_errors_min_sources: int = Field(default=3, ge=2, le=1000)

    @model_validator(mode="after")
    def _check(self) -> AlertsConfig:
        for email in self.emails:
            if not re.match(EMAIL_PATTERN, email):
                raise ValueError(f"emails: {email!r} is not an e-mail address")
        if self.enabled and not self.emails:
            raise ValueError("emails: at least one address is required when alerts are enabled")
        return self


class AlertWebhooks(BaseModel):
    """Secret key `alertWebhooks`: where alerts go besides e-mail. Each URL carries its service's key, so the
    whole object is a secret. slack: an incoming-webhook URL (a small forwarder posts each alert there: Slack
    cannot confirm an SNS subscription); pagerduty: the Amazon CloudWatch integration's URL
    (https://events.pagerduty.com/integration/<key>/enqueue); opsgenie: the Amazon SNS integration's URL
    (https://api.opsgenie.com/v1/json/amazonsns?apiKey=...). Both confirm SNS subscriptions themselves."""

    model_config = SECTION_CONFIG

    slack: SecretStr | None = None
    pagerduty: SecretStr | None = None
    opsgenie: SecretStr | None = None

    @model_validator(mode="after")
    def _https_only(self) -> AlertWebhooks:
        for name in ("slack", "pagerduty", "opsgenie"):
            value = getattr(self, name)
            if value is not None and not re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/", value.get_secret_value()):
                raise ValueError(f"{name}: must be an https:// URL (the alert, and the key in the URL, travel in it)")
        return self

    def configured(self) -> dict[str, str]:
        return {
            name: value.get_secret_value()
            for name in ("slack", "pagerduty", "opsgenie")
            if (value := getattr(self, name)) is not None
        }


class CiIdentityConfig(BaseModel):
    model_config = SECTION_CONFIG

    enabled: bool = False
    github_repository: str | None = Field(default=None, pattern=REPOSITORY_PATTERN)
    deploy_branch: str = Field(default="main", min_length=1)
    # The GitHub environment the deploy job of this stack runs in: its OIDC token then carries
    # `environment:<name>` as subject instead of the branch, so the deploy role must trust that too.
    deploy_environment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,255}$")
    # An account holds one GitHub OIDC provider: stacks sharing an account pass the first one's ARN here.
    oidc_provider_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/")
    # A deploy creates IAM roles, buckets, distributions and keys: narrow this list where the account allows.
    deploy_policy_arns: tuple[str, ...] = ("arn:aws:iam::aws:policy/AdministratorAccess",)
    preview_policy_arns: tuple[str, ...] = ("arn:aws:iam::aws:policy/ReadOnlyAccess",)

    @model_validator(mode="after")
    def _check(self) -> CiIdentityConfig:
        for arn in (*self.deploy_policy_arns, *self.preview_policy_arns):
            if not re.match(IAM_POLICY_ARN_PATTERN, arn):
                raise ValueError(f"{arn!r} is not an IAM policy ARN")
        if self.enabled and self.github_repository is None:
            raise ValueError("githubRepository (owner/name) is required when the CI identity is enabled")
        return self


class AwsSections(BaseModel):
    """The AWS sections together, for the rules that span them."""

    model_config = SECTION_CONFIG

    aws: AwsConfig
    frontend: FrontendConfig
    storage_cdn: StorageCdnConfig
    dns: DnsConfig
    backup: BackupConfig
    alerts: AlertsConfig
    ci_identity: CiIdentityConfig

    def problems(self) -> list[str]:
        """Every cross-section mistake, each naming the key and the fix."""
        found: list[str] = []
        parts = {
            "frontend": self.frontend.enabled,
            "storageCdn": self.storage_cdn.enabled,
            "backup": self.backup.enabled,
            "alerts": self.alerts.enabled,
            "ciIdentity": self.ci_identity.enabled,
        }
        if not self.aws.enabled:
            for key, enabled in parts.items():
                if enabled:
                    found.append(f"{key}.enabled: needs aws.enabled: true (or set {key}.enabled: false)")
        for key, section in (("frontend", self.frontend), ("storageCdn", self.storage_cdn)):
            if section.hostname is None:
                continue
            if not section.enabled:
                found.append(f"{key}.hostname: set but {key}.enabled is false; remove it or enable {key}")
            zone = self.dns.zone_name
            if zone is None:
                found.append(f"{key}.hostname: needs dns.zoneName, the Route53 zone that holds {section.hostname}")
            elif section.hostname != zone and not section.hostname.endswith(f".{zone}"):
                found.append(f"{key}.hostname: {section.hostname} is not inside dns.zoneName ({zone})")
        if self.frontend.hostname and self.frontend.hostname == self.storage_cdn.hostname:
            found.append("storageCdn.hostname: must differ from frontend.hostname")
        return found

    @property
    def hostnames(self) -> list[str]:
        """The names the stack's certificate covers, frontend first."""
        return [name for name in (self.frontend.hostname, self.storage_cdn.hostname) if name]

    @classmethod
    def of(cls, config: StackConfig) -> AwsSections:
        """The AWS sections of a StackConfig."""
        return cls(**{name: getattr(config, name) for name in cls.model_fields})


def check_aws_sections(config: StackConfig) -> None:
    """Raise one ValueError listing every cross-section mistake of a StackConfig's AWS sections."""
    problems = AwsSections.of(config).problems()
    if problems:
        raise ValueError("; ".join(problems))
