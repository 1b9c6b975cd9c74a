"""The stack's Supabase project and everything configured inside it, as one component.

Children: the project (protected in prod) or, on a stack with supabaseBranch enabled (previews, dev), a branch of
the parent project in its place; its auth settings, database settings, function secrets, one
resource per edge function, one per Storage bucket, and the custom domain when configured. Outputs: what
the frontend build needs (URL, anon key, ref, functions URL), and as secrets what the backend needs
(service-role key, the pooler connection string the migrations connect through).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pydantic import SecretStr

from components.dns import SupabaseDomainRecords, TxtRecord
from components.supabase_branch import groups_with_preview_url, preview_branch, with_preview_url
from components.supabase_services import ServiceSettingsArgs, service_settings
from providers.supabase.auth_settings import AuthSettings, AuthSettingsArgs
from providers.supabase.custom_domain import (
    CustomDomain,
    CustomDomainActivation,
    CustomDomainActivationArgs,
    CustomDomainArgs,
)
from providers.supabase.database_settings import DatabaseSettings, DatabaseSettingsArgs
from providers.supabase.edge_function import EdgeFunction, EdgeFunctionArgs
from providers.supabase.function_bundle import (
    collect_files,
    content_hash,
    discover_functions,
    read_manifest,
    referenced_names,
)
from providers.supabase.function_secrets import FunctionSecrets, FunctionSecretsArgs
from providers.supabase.pitr import PitrAddon, PitrAddonArgs
from providers.supabase.project import Project, ProjectArgs
from providers.supabase.storage_bucket import StorageBucket, StorageBucketArgs
from providers.supabase.third_party_auth import ThirdPartyAuth, ThirdPartyAuthArgs
from stackconfig import supabase_auth_groups
from stackconfig.branch import SupabaseBranchConfig
from stackconfig.model import StackConfig
from stackconfig.storage import BucketConfig
from stackconfig.supabase import (
    GUIDE_FUNCTION_SECRETS,
    CustomDomainConfig,
    FunctionConfig,
    SupabaseAuthConfig,
    SupabaseDatabaseSettingsConfig,
    SupabaseProjectConfig,
)
from stackconfig.supabase_service_groups import service_groups

AUTH_SECRET_FIELDS = {
    "smtp_pass": "smtp_pass",
    "google_secret": "external_google_secret",
    "github_secret": "external_github_secret",
    "azure_secret": "external_azure_secret",
}


@dataclass(frozen=True, kw_only=True)
class SupabaseProjectArgs:
    project: SupabaseProjectConfig
    auth: SupabaseAuthConfig = field(default_factory=SupabaseAuthConfig)
    database: SupabaseDatabaseSettingsConfig = field(default_factory=SupabaseDatabaseSettingsConfig)
    functions: Mapping[str, FunctionConfig] = field(default_factory=dict)
    buckets: Sequence[BucketConfig] = ()
    custom_domain: CustomDomainConfig = field(default_factory=CustomDomainConfig)
    branch: SupabaseBranchConfig = field(default_factory=SupabaseBranchConfig)
    services: ServiceSettingsArgs = field(default_factory=ServiceSettingsArgs)  # [api], [storage], [db.pooler]
    # Secrets, already Pulumi secrets or plain values that are made secret here.
    database_password: pulumi.Input[str] | None = None
    function_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    auth_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # smtp_pass, google_secret, ...
    # Function secrets another resource sets (the Stripe webhook's signing secret): not missing from config.
    provisioned_secrets: Sequence[str] = ()
    # config.toml's [auth.*] groups (supabase.configToml, supabaseConfig), as Auth API fields; with a file they
    # replace `auth`'s fields (stackconfig/supabase_auth_groups.py).
    auth_groups: Mapping[str, Any] = field(default_factory=dict)
    auth_groups_replace: bool = False
    auth_group_secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # by Auth API field
    third_party_issuer: str | None = None  # [auth.third_party.<provider>]'s OIDC issuer

    @classmethod
    def from_config(cls, config: StackConfig) -> SupabaseProjectArgs:
        """From a validated StackConfig; secret values go straight into Pulumi secrets."""

        def secret(value: SecretStr) -> pulumi.Output[str]:
            return pulumi.Output.secret(value.get_secret_value())

        def optional_secret(value: SecretStr | None) -> pulumi.Output[str] | None:
            return None if value is None else secret(value)

        auth_secrets = {name: optional_secret(getattr(config.auth_secrets, name)) for name in AUTH_SECRET_FIELDS}
        groups = supabase_auth_groups.auth_groups(config)
        services = service_groups(config)  # config.toml's [api], [db], [db.pooler], [storage] with the stack's keys
        group_secrets = supabase_auth_groups.secret_values(config, groups)
        return cls(
            project=config.supabase,
            auth=with_preview_url(config.supabase_auth, config.supabase_branch.preview_url),
            database=services.database,
            functions=config.functions,
            buckets=config.storage_buckets,
            custom_domain=config.supabase_custom_domain,
            branch=config.supabase_branch,
            services=ServiceSettingsArgs(
                api=services.api,
                storage=services.storage,
                pooler=services.pooler,
                largest_bucket_bytes=max((bucket.file_size_limit for bucket in config.storage_buckets), default=0),
            ),
            database_password=optional_secret(config.database_password),
            function_secrets={
                # Plain settings travel with the secrets: Supabase gives functions one environment, its secrets.
                "APP_VERSION": config.app_version,
                **config.function_settings,
                **{name: secret(value) for name, value in config.function_secrets.items()},
            },
            auth_secrets={name: value for name, value in auth_secrets.items() if value is not None},
            provisioned_secrets=("STRIPE_WEBHOOK_SECRET",) if config.stripe_webhook.enabled else (),
            auth_groups=groups_with_preview_url(
                groups.settings, config.supabase_branch.preview_url, replace=config.supabase.config_toml is not None
            ),
            auth_groups_replace=config.supabase.config_toml is not None,
            auth_group_secrets={api: secret(value) for api, value in group_secrets.items()},
            third_party_issuer=supabase_auth_groups.third_party_issuer(config),
        )


class SupabaseProject(pulumi.ComponentResource):
    ref: pulumi.Output[str]
    url: pulumi.Output[str]
    anon_key: pulumi.Output[str]
    service_role_key: pulumi.Output[str]
    pooler_connection_string: pulumi.Output[str]
    functions_url: pulumi.Output[str]

    def __init__(self, name: str, args: SupabaseProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("ai-platform:supabase_project:SupabaseProject", name, None, opts)
        self._name = name
        self._args = args
        config = args.project
        if config.organization_slug is None or config.project_name is None:
            raise ValueError("supabase.organizationSlug is not set: this stack has no Supabase project to build")
        api_url = config.management_api_url
        child = pulumi.ResourceOptions(parent=self)

        # The project holds every user's data: protected in prod so that `pulumi destroy` refuses. A branch stack
        # (previews, dev) gets a branch of the parent instead: its own ref, keys and database, deleted on destroy.
        self.project = (
            preview_branch(f"{name}-branch", config, args.branch, pulumi.ResourceOptions(parent=self))
            if args.branch.enabled
            else Project(
                f"{name}-project",
                ProjectArgs(
                    organization_slug=config.organization_slug,
                    name=config.project_name,
                    region=config.region,
                    instance_size=config.instance_size,
                    project_ref=config.project_ref,
                    database_password=args.database_password,
                    ready_timeout_seconds=config.ready_timeout_seconds,
                    management_api_url=api_url,
                    project_url_template=config.project_url_template,
                ),
                pulumi.ResourceOptions(parent=self, protect=config.protect),
            )
        )
        ref = self.project.ref
        self.ref = ref
        self.url = self.project.projectUrl
        self.anon_key = self.project.anonKey
        self.service_role_key = pulumi.Output.secret(self.project.serviceRoleKey)
        self.pooler_connection_string = pulumi.Output.secret(self.project.poolerConnectionString)
        self.functions_url = self.project.projectUrl.apply(lambda url: f"{url}/functions/v1")

        # Sign-in as guide 000 section 2.3 describes; only configured fields are managed.
        self.auth = AuthSettings(
            f"{name}-auth",
            AuthSettingsArgs(
                project_ref=ref,
                settings={**({} if args.auth_groups_replace else auth_settings(args.auth)), **args.auth_groups},
                secret_settings=_secret_map(
                    {**{AUTH_SECRET_FIELDS[k]: v for k, v in args.auth_secrets.items()}, **args.auth_group_secrets}
                ),
                management_api_url=api_url,
            ),
            child,
        )
        # Sessions of another issuer (Firebase, Auth0, Cognito, Clerk, WorkOS) accepted as this project's users'.
        if args.third_party_issuer is not None:
            ThirdPartyAuth(
                f"{name}-third-party-auth",
                ThirdPartyAuthArgs(
                    project_ref=ref, oidc_issuer_url=args.third_party_issuer, management_api_url=api_url
                ),
                child,
            )

        # Guide 002's production tuning, through the API since Supabase has no ALTER SYSTEM for us.
        self.database_settings = DatabaseSettings(
            f"{name}-database-settings",
            DatabaseSettingsArgs(
                project_ref=ref,
                postgres_config=dict(args.database.postgres),
                ssl_enforced=args.database.ssl_enforced,
                allowed_cidrs=_listed(args.database.allowed_cidrs),
                allowed_cidrs_v6=_listed(args.database.allowed_cidrs_v6),
                management_api_url=api_url,
            ),
            child,
        )

        # The Data API, Storage service and pooler settings (components/supabase_services.py).
        self.service_settings = service_settings(name, ref, api_url, args.services, child)

        # Point-in-time recovery, when the stack asks for it (prod): the PITR add-on.
        if config.pitr_retention_days is not None:
            PitrAddon(
                f"{name}-pitr",
                PitrAddonArgs(project_ref=ref, retention_days=config.pitr_retention_days, management_api_url=api_url),
                child,
            )

        # Each function's files, read once: their hashes decide redeploys, their text which secrets are read.
        bundles = {slug: collect_files(config.functions_dir, slug) for slug in discover_functions(config.functions_dir)}
        # Only what the deployed code reads: most of the guides' list belongs to functions not written yet.
        read = referenced_names((file for files in bundles.values() for file in files), GUIDE_FUNCTION_SECRETS)
        missing = sorted(read - set(args.function_secrets) - set(args.provisioned_secrets))
        if missing:
            pulumi.log.warn(
                f"functionSecrets has no value for {', '.join(missing)}, which the functions read; set each with "
                "`pulumi config set --secret --path 'functionSecrets.<NAME>' <value>` (each function's README says "
                "which are optional)"
            )
        # Secrets first, so a function never starts without the variables it reads.
        self.function_secrets = FunctionSecrets(
            f"{name}-function-secrets",
            FunctionSecretsArgs(
                project_ref=ref, secrets=_secret_map(args.function_secrets), management_api_url=api_url
            ),
            child,
        )

        # The functions wait for deploy_functions(after=[the migrations]): new code never runs on the old schema.
        self._bundles = bundles
        self.functions: dict[str, EdgeFunction] = {}

        # Buckets through the project's Storage API; their access policies live in the migrations.
        self.buckets = [
            StorageBucket(
                f"{name}-bucket-{bucket.id}",
                StorageBucketArgs(
                    project_ref=ref,
                    project_url=self.project.projectUrl,
                    bucket_id=bucket.id,
                    public=bucket.public,
                    file_size_limit=bucket.file_size_limit,
                    allowed_mime_types=list(bucket.allowed_mime_types) or None,
                    management_api_url=api_url,
                ),
                child,
            )
            for bucket in args.buckets
        ]

        self.custom_domain: CustomDomain | None = None
        if args.custom_domain.hostname:
            self.custom_domain = CustomDomain(
                f"{name}-custom-domain",
                CustomDomainArgs(project_ref=ref, hostname=args.custom_domain.hostname, management_api_url=api_url),
                child,
            )

        self.register_outputs(
            {
                "ref": self.ref,
                "url": self.url,
                "anonKey": self.anon_key,
                "functionsUrl": self.functions_url,
                "serviceRoleKey": self.service_role_key,
                "poolerConnectionString": self.pooler_connection_string,
            }
        )

    def deploy_functions(self, after: Sequence[pulumi.Resource] = ()) -> dict[str, EdgeFunction]:
        """One resource per edge function, deployed after `after` (the migrations whose schema they read) and
        the function secrets: on an update, a changed function goes live only once its migration has run."""
        self.functions = self._edge_functions(self._name, self._args, self._bundles, after)
        return self.functions

    def _edge_functions(
        self,
        name: str,
        args: SupabaseProjectArgs,
        bundles: Mapping[str, list[tuple[str, bytes]]],
        after: Sequence[pulumi.Resource],
    ) -> dict[str, EdgeFunction]:
        functions_dir = args.project.functions_dir
        api_url = args.project.management_api_url
        unknown = sorted(set(args.functions) - set(bundles))
        if unknown:
            raise ValueError(
                f"functions: {', '.join(unknown)} configured but not found under {functions_dir}/; "
                "fix the name or remove the entry"
            )
        deployed: dict[str, EdgeFunction] = {}
        for slug, files in bundles.items():
            settings = read_manifest(functions_dir, slug)
            override = args.functions.get(slug)
            verify_jwt = override.verify_jwt if override and override.verify_jwt is not None else settings.verify_jwt
            digest = content_hash(files, settings.entrypoint, verify_jwt, settings.import_map)
            # The hash is the input the diff compares: preview shows exactly which functions change.
            deployed[slug] = EdgeFunction(
                f"{name}-fn-{slug}",
                EdgeFunctionArgs(
                    project_ref=self.ref,
                    slug=slug,
                    functions_dir=functions_dir,
                    entrypoint=settings.entrypoint,
                    verify_jwt=verify_jwt,
                    import_map=settings.import_map,
                    content_hash=digest,
                    management_api_url=api_url,
                ),
                pulumi.ResourceOptions(parent=self, depends_on=[self.function_secrets, *after]),
            )
        return deployed

    def custom_domain_records(self) -> SupabaseDomainRecords | None:
        """What the DNS component must create for the custom domain (None without one)."""
        hostname = self._args.custom_domain.hostname
        if self.custom_domain is None or hostname is None:
            return None
        records = self.custom_domain.dnsRecords
        cname = records.apply(lambda rs: next(r["value"] for r in rs if r["type"] == "CNAME"))

        def txt_field(index: int, field: str) -> pulumi.Output[str]:
            return records.apply(lambda rs: [r for r in rs if r["type"] == "TXT"][index][field])

        txt = [
            TxtRecord(name=txt_field(index, "name"), value=txt_field(index, "value"))
            for index in range(2)  # ownership (_cf-custom-hostname) and certificate (_acme-challenge)
        ]
        return SupabaseDomainRecords(hostname=hostname, cname_target=cname, txt_records=txt)

    def activate_custom_domain(self, dns_records: Sequence[pulumi.Resource]) -> CustomDomainActivation | None:
        """Verify and activate the custom domain once the DNS records exist (pass them as dns_records)."""
        if self.custom_domain is None:
            return None
        return CustomDomainActivation(
            f"{self._name}-custom-domain-activation",
            CustomDomainActivationArgs(
                project_ref=self.ref,
                hostname=self._args.custom_domain.hostname or "",
                dns_record_names=self.custom_domain.dnsRecords.apply(lambda rs: [r["name"] for r in rs]),
                verify_timeout_seconds=self._args.custom_domain.verify_timeout_seconds,
                management_api_url=self._args.project.management_api_url,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[self.custom_domain, *dns_records]),
        )


def auth_settings(auth: SupabaseAuthConfig) -> dict[str, Any]:
    """The Auth API fields for the configured settings; what is not configured is not sent."""
    settings: dict[str, Any] = {
        "jwt_exp": auth.jwt_expiry_seconds,
        "external_email_enabled": auth.email_enabled,
        "mailer_autoconfirm": not auth.email_confirmation,
        "mailer_secure_email_change_enabled": auth.secure_email_change,
    }
    if auth.site_url:
        settings["site_url"] = auth.site_url
    if auth.redirect_urls:
        settings["uri_allow_list"] = ",".join(auth.redirect_urls)
    if auth.smtp:
        settings.update(
            smtp_host=auth.smtp.host,
            smtp_port=str(auth.smtp.port),
            smtp_user=auth.smtp.user,
            smtp_admin_email=auth.smtp.admin_email,
        )
        if auth.smtp.sender_name:
            settings["smtp_sender_name"] = auth.smtp.sender_name
    for provider in ("google", "github", "azure"):
        oauth = getattr(auth, provider)
        if oauth is None:
            continue
        settings[f"external_{provider}_enabled"] = oauth.enabled
        if oauth.client_id:
            settings[f"external_{provider}_client_id"] = oauth.client_id
        if provider == "azure" and oauth.url:
            settings["external_azure_url"] = oauth.url
    return settings


def _listed(cidrs: tuple[str, ...] | None) -> list[str] | None:
    return None if cidrs is None else sorted(cidrs)


def _secret_map(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[dict[str, str]]:
    if not values:
        return pulumi.Output.secret({})
    return pulumi.Output.secret(pulumi.Output.all(**dict(values)))
