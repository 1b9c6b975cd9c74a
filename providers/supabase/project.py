"""The Supabase project: created once, adopted rather than duplicated, ready before anything uses it.

Props (inputs):
  managementApiUrl, organizationSlug, name, region, instanceSize (optional), projectRef (optional: adopt
  this project instead of looking one up by name), databasePassword (optional secret; generated when
  absent), readyTimeoutSeconds, projectUrlTemplate ("https://{ref}.supabase.co").
Outputs add:
  ref, projectUrl, anonKey, serviceRoleKey (secret), databaseHost, poolerConnectionString (secret),
  databasePassword (secret), status, adopted.

Creation is idempotent. A POST whose answer is lost may still have created the project, so it is never
repeated blindly: before each attempt the organization is searched for a project of that name and the
one found is adopted. A run that failed while the project was still coming up therefore continues with
that project the next time instead of creating a second one.
"""

from __future__ import annotations

import secrets
import string
import sys
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import (
    PROJECT_REF_PATTERN,
    SupabaseProvider,
    as_int,
    changed_keys,
    diff_result,
    is_unknown,
)
from providers.supabase.client import ManagementClient
from providers.supabase.errors import SupabaseApiError, SupabaseError, SupabaseNotFound

REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-east-1", "ap-southeast-1", "ap-northeast-1",
    "ap-northeast-2", "ap-southeast-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-central-1",
    "eu-central-2", "ca-central-1", "ap-south-1", "sa-east-1",
)  # fmt: skip
INSTANCE_SIZES = (
    "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge",
    "16xlarge", "24xlarge", "24xlarge_optimized_memory", "24xlarge_optimized_cpu", "24xlarge_high_memory",
    "48xlarge", "48xlarge_optimized_memory", "48xlarge_optimized_cpu", "48xlarge_high_memory",
)  # fmt: skip
FAILED_STATUSES = frozenset(
    {"INIT_FAILED", "REMOVED", "RESTORE_FAILED", "PAUSE_FAILED", "GOING_DOWN", "INACTIVE", "PAUSING"}
)
DEFAULT_PROJECT_URL_TEMPLATE = "https://{ref}.supabase.co"
SECRET_OUTPUTS = ["serviceRoleKey", "poolerConnectionString", "databasePassword"]
CREATE_ROUNDS = 6  # rounds of look-up-then-create before a transient failure of the create is final


def generate_password(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in password)
            and any(c.isupper() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


class ProjectProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        slug, name = news.get("organizationSlug"), news.get("name")
        if not is_unknown(slug) and not (isinstance(slug, str) and slug and slug.replace("-", "_").isidentifier()):
            failures.append(CheckFailure("organizationSlug", "the organization slug from the dashboard URL"))
        if not is_unknown(name) and not (isinstance(name, str) and 0 < len(name) <= 256):
            failures.append(CheckFailure("name", "a project name of 1 to 256 characters"))
        if not is_unknown(news.get("region")) and news.get("region") not in REGIONS:
            failures.append(CheckFailure("region", f"one of {', '.join(REGIONS)}"))
        size = news.get("instanceSize")
        if size is not None and not is_unknown(size) and size not in INSTANCE_SIZES:
            failures.append(CheckFailure("instanceSize", f"one of {', '.join(INSTANCE_SIZES)}"))
        ref = news.get("projectRef")
        if ref is not None and not is_unknown(ref) and not PROJECT_REF_PATTERN.match(str(ref)):
            failures.append(CheckFailure("projectRef", "a project ref is 20 lowercase letters"))
        password = news.get("databasePassword")
        if password is not None and not is_unknown(password) and len(str(password)) < 8:
            failures.append(CheckFailure("databasePassword", "at least 8 characters (the value is not shown)"))
        timeout = news.get("readyTimeoutSeconds")
        if not is_unknown(timeout) and (timeout is None or float(timeout) <= 0):
            failures.append(CheckFailure("readyTimeoutSeconds", "a positive number of seconds"))
        return CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("organizationSlug", "region", "name", "instanceSize"))
        changes += changed_keys(olds, news, ("managementApiUrl", "projectUrlTemplate"))
        # Pinning the ref of the project this resource already manages is not a change.
        new_ref = news.get("projectRef")
        if new_ref is not None and (is_unknown(new_ref) or new_ref != id_):
            changes.append("projectRef")
        # A configured password replaces the stored one; dropping it from config keeps the current one.
        new_password = news.get("databasePassword")
        if new_password is not None and (is_unknown(new_password) or new_password != olds.get("databasePassword")):
            changes.append("databasePassword")
        # A project cannot change region or organization in place, and a replacement would not move it either:
        # the new resource finds this same project (by name or pinned ref) and the old one's delete then removes it,
        # with every user's data. Refused, naming the way back, instead of planned.
        for key, config_key in (("region", "supabase.region"), ("organizationSlug", "supabase.organizationSlug")):
            if key in changes and not is_unknown(news.get(key)):
                raise SupabaseError(
                    f"project {id_} is in {key} {olds.get(key)!r}, but {config_key} says {news.get(key)!r}: a "
                    f"project cannot be moved, and replacing it would delete it with its data. Set {config_key} "
                    f"back to {olds.get(key)!r}; to move, deploy a new stack and restore a backup into it "
                    "(docs/runbooks.md)"
                )
        return diff_result(changes, replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        configured_password = props.get("databasePassword")
        password = configured_password or generate_password()
        client = self.management(props, password)
        ref, adopted = self._adopt_or_create(client, props, password)
        self._wait_until_ready(client, ref, props)
        if adopted and not configured_password:
            # The password of an adopted project is unknown to this stack; give it one the stack knows.
            client.set_database_password(ref, password)
        return CreateResult(ref, self._outputs(client, props, ref, password, adopted=adopted))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self.management(props, props.get("databasePassword"))
        try:
            project = client.get_project(id_)
        except SupabaseNotFound:
            return ReadResult(None, {})
        if project.get("status") == "REMOVED":
            return ReadResult(None, {})
        outs = self._outputs(client, props, id_, props.get("databasePassword") or "", project=project)
        outs["name"] = project["name"]  # a rename behind our back shows as drift
        outs["region"] = project["region"]
        return ReadResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        password = news.get("databasePassword") or olds.get("databasePassword") or ""
        client = self.management(news, password, olds.get("databasePassword"))
        if news["name"] != olds.get("name"):
            client.rename_project(id_, news["name"])
        size = news.get("instanceSize")
        if size and size != olds.get("instanceSize"):
            if size == "nano":
                raise SupabaseError(f"project {id_}: a project cannot be resized down to nano; choose micro or larger")
            client.apply_compute_size(id_, size)
        if news.get("databasePassword") and news["databasePassword"] != olds.get("databasePassword"):
            client.set_database_password(id_, password)
        return UpdateResult(self._outputs(client, news, id_, password, adopted=bool(olds.get("adopted"))))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = self.management(props, props.get("databasePassword"))
        deadline = time.monotonic() + float(props.get("readyTimeoutSeconds") or 900)
        poll = self.env_float("SUPABASE_POLL_INTERVAL_SECONDS", 10.0)
        while True:
            try:
                client.delete_project(id_)
                return
            except SupabaseNotFound:
                return
            except SupabaseApiError as exc:
                # Supabase refuses to delete a project that is still coming up or changing state.
                if "not ready" not in exc.api_message.lower() or time.monotonic() > deadline:
                    raise
            time.sleep(poll)

    # ------------------------------------------------------------------ helpers
    def _adopt_or_create(self, client: ManagementClient, props: dict[str, Any], password: str) -> tuple[str, bool]:
        org, name = props["organizationSlug"], props["name"]
        if props.get("projectRef"):
            ref = props["projectRef"]
            try:
                project = client.get_project(ref)
            except SupabaseNotFound:
                raise SupabaseError(
                    f"project {ref} (projectRef in config) does not exist or this token cannot see it; "
                    "fix supabase.projectRef, or remove it to create the project"
                ) from None
            if project.get("organization_slug") not in (None, org):
                raise SupabaseError(
                    f"project {ref} belongs to another organization than {org}; fix supabase.projectRef"
                )
            return ref, True
        poll = self.env_float("SUPABASE_POLL_INTERVAL_SECONDS", 10.0)
        last_error: SupabaseApiError | None = None
        for _ in range(CREATE_ROUNDS):
            existing = client.find_projects_by_name(org, name)
            if len(existing) > 1:
                refs = ", ".join(sorted(p["ref"] for p in existing))
                raise SupabaseError(
                    f"organization {org} has {len(existing)} projects named {name!r} ({refs}); "
                    "set supabase.projectRef to the one this stack owns"
                )
            if existing:
                return existing[0]["ref"], True
            try:
                created = client.create_project(self._create_body(props, password))
                return self._one_of_a_name(client, props, created["ref"])
            except SupabaseApiError as exc:
                # No answer, or a server-side failure: the project may exist now. Look again before retrying.
                if exc.status is not None and exc.status < 500 and exc.status != 429:
                    raise
                last_error = exc
            time.sleep(poll)
        assert last_error is not None
        raise last_error

    def _one_of_a_name(self, client: ManagementClient, props: dict[str, Any], created_ref: str) -> tuple[str, bool]:
        """The API has no create-if-absent, so two stacks (separate backends) whose look-ups overlap can both
        create. Looked up again right after the create: of two projects of the name, both stacks keep the older
        one (first inserted, then lowest ref) and the younger deletes its own, seconds old and empty."""
        same = client.find_projects_by_name(props["organizationSlug"], props["name"])
        if len(same) <= 1:
            return created_ref, False
        kept = min(same, key=lambda project: (str(project.get("inserted_at") or ""), project["ref"]))
        if kept["ref"] == created_ref:
            return created_ref, False
        # stderr: the provider host passes it on to the engine's log (pulumi.log needs an engine connection).
        print(
            f"warning: project {props['name']!r} was created by another deployment at the same moment ({kept['ref']}); "
            f"deleting the duplicate this one made ({created_ref}) and adopting {kept['ref']}. Pin "
            "supabase.projectRef in the stack file so this cannot happen again (docs/supabase.md)",
            file=sys.stderr,
            flush=True,
        )
        self.delete(created_ref, props)
        return kept["ref"], True

    @staticmethod
    def _create_body(props: dict[str, Any], password: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": props["name"],
            "organization_slug": props["organizationSlug"],
            "db_pass": password,
            # `region` is deprecated in favour of `region_selection`, but still accepted; the latter's
            # discriminator has no mapping, so no spec-validating client or server can check it.
            "region": props["region"],
        }
        if props.get("instanceSize"):
            body["desired_instance_size"] = props["instanceSize"]
        return body

    def _wait_until_ready(self, client: ManagementClient, ref: str, props: dict[str, Any]) -> None:
        timeout = float(props.get("readyTimeoutSeconds") or 900)
        poll = self.env_float("SUPABASE_POLL_INTERVAL_SECONDS", 10.0)
        deadline = time.monotonic() + timeout
        status = "UNKNOWN"
        unhealthy: list[str] = []
        while True:
            status = client.get_project(ref).get("status", "UNKNOWN")
            if status in FAILED_STATUSES:
                raise SupabaseError(
                    f"project {ref} ({props['name']}) is {status}; see the Supabase dashboard. Delete or restore it, "
                    "then run the deployment again"
                )
            if status == "ACTIVE_HEALTHY":
                health = client.services_health(ref)
                unhealthy = [s["name"] for s in health if s.get("status") != "ACTIVE_HEALTHY"]
                if not unhealthy:
                    return
            if time.monotonic() >= deadline:
                waiting_for = f"services {', '.join(unhealthy)} not healthy" if unhealthy else f"status {status}"
                raise SupabaseError(
                    f"project {ref} ({props['name']}) was not ready after {timeout:g}s ({waiting_for}). It exists: "
                    "run the deployment again and it will be adopted, or raise supabase.readyTimeoutSeconds"
                )
            time.sleep(poll)

    def _outputs(
        self,
        client: ManagementClient,
        props: dict[str, Any],
        ref: str,
        password: str,
        *,
        adopted: bool = False,
        project: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        project = project or client.get_project(ref)
        anon, service = pick_api_keys(client.api_keys(ref), ref)
        template = props.get("projectUrlTemplate") or DEFAULT_PROJECT_URL_TEMPLATE
        return {
            **props,
            "ref": ref,
            "projectUrl": template.format(ref=ref),
            "anonKey": anon,
            "serviceRoleKey": service,
            "databaseHost": project.get("database", {}).get("host", f"db.{ref}.supabase.co"),
            "poolerConnectionString": pooler_url(client.pooler_config(ref), password),
            "databasePassword": password,
            "status": project.get("status"),
            "adopted": adopted,
            "readyTimeoutSeconds": as_int(props.get("readyTimeoutSeconds")),
        }


def pick_api_keys(keys: list[dict[str, Any]], ref: str) -> tuple[str, str]:
    """The legacy JWT keys while they are enabled (functions with verify_jwt expect a JWT), else the new ones."""
    by_name = {k.get("name"): k.get("api_key") for k in keys if k.get("type") in (None, "legacy")}
    publishable = [k["api_key"] for k in keys if k.get("type") == "publishable" and k.get("api_key")]
    secret = [k["api_key"] for k in keys if k.get("type") == "secret" and k.get("api_key")]
    anon = by_name.get("anon") or (publishable[0] if publishable else None)
    service = by_name.get("service_role") or (secret[0] if secret else None)
    if not anon or not service:
        raise SupabaseError(f"project {ref} returned no anon/service_role (or publishable/secret) API keys")
    return anon, service


def pooler_url(configs: list[dict[str, Any]], password: str) -> str:
    """The session pooler: migrations need session semantics (locks, SET), and the direct host is IPv6-only."""
    primary = next((c for c in configs if c.get("database_type") == "PRIMARY"), configs[0] if configs else None)
    if primary is None:
        raise SupabaseError("the project has no pooler configuration yet; run the deployment again in a minute")
    port = primary["db_port"] if primary.get("pool_mode") == "session" else 5432
    user, host, database = primary["db_user"], primary["db_host"], primary["db_name"]
    return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{database}?sslmode=require"


@dataclass(frozen=True, kw_only=True)
class ProjectArgs:
    organization_slug: pulumi.Input[str]
    name: pulumi.Input[str]
    region: pulumi.Input[str]
    instance_size: pulumi.Input[str] | None = None
    project_ref: pulumi.Input[str] | None = None
    database_password: pulumi.Input[str] | None = None
    ready_timeout_seconds: int = 900
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"
    project_url_template: str = DEFAULT_PROJECT_URL_TEMPLATE


class Project(pulumi.dynamic.Resource, module="supabase", name="Project"):
    ref: pulumi.Output[str]
    projectUrl: pulumi.Output[str]
    anonKey: pulumi.Output[str]
    serviceRoleKey: pulumi.Output[str]
    databaseHost: pulumi.Output[str]
    poolerConnectionString: pulumi.Output[str]
    databasePassword: pulumi.Output[str]

    def __init__(self, resource_name: str, args: ProjectArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        password = pulumi.Output.secret(args.database_password) if args.database_password is not None else None
        props = {
            "managementApiUrl": args.management_api_url,
            "organizationSlug": args.organization_slug,
            "name": args.name,
            "region": args.region,
            "instanceSize": args.instance_size,
            "projectRef": args.project_ref,
            "databasePassword": password,
            "readyTimeoutSeconds": args.ready_timeout_seconds,
            "projectUrlTemplate": args.project_url_template,
            **dict.fromkeys(("ref", "projectUrl", "anonKey", "serviceRoleKey", "databaseHost")),
            **dict.fromkeys(("poolerConnectionString", "status", "adopted")),
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS))
        super().__init__(ProjectProvider(), resource_name, props, opts)
