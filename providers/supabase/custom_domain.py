"""The project's custom domain, in the two steps the DNS forces on us.

CustomDomain initializes the hostname and outputs the DNS records Supabase asks for (a CNAME to the
project and TXT records for ownership and the certificate); the DNS component creates them. Then
CustomDomainActivation, which depends on those records, re-verifies until Supabase has seen them and
activates the domain. One resource could not do both: it would wait for records that can only be
created from its own outputs.

Props: managementApiUrl, projectRef, hostname; the activation adds verifyTimeoutSeconds and dnsRecordNames
(only there to make it depend on the DNS records). Custom-hostname calls are limited to 10 a minute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.errors import SupabaseError, SupabaseNotFound

VERIFIED = "3_challenge_verified"
ACTIVE = "5_services_reconfigured"


def _check_hostname(news: dict[str, Any]) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    require_ref(news, failures)
    hostname = news.get("hostname")
    if not is_unknown(hostname) and not (
        isinstance(hostname, str) and 3 < len(hostname) <= 253 and "." in hostname and hostname == hostname.lower()
    ):
        failures.append(CheckFailure("hostname", "a lowercase DNS name such as api.example.com"))
    return failures


def dns_records(ref: str, answer: dict[str, Any], cname_target: str) -> list[dict[str, str]]:
    result = answer.get("data", {}).get("result", {})
    records = [{"type": "CNAME", "name": answer["custom_hostname"], "value": cname_target}]
    ownership = result.get("ownership_verification")
    if ownership:
        records.append({"type": ownership["type"].upper(), "name": ownership["name"], "value": ownership["value"]})
    for record in result.get("ssl", {}).get("validation_records", []):
        records.append({"type": "TXT", "name": record["txt_name"], "value": record["txt_value"]})
    return records


class CustomDomainProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, _check_hostname(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("hostname", "projectRef", "managementApiUrl"))
        return diff_result(changes, replace_keys=("hostname", "projectRef"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        ref, hostname = props["projectRef"], props["hostname"]
        answer = self.management(props).initialize_custom_hostname(ref, hostname)
        outs = {**props, "status": answer["status"], "dnsRecords": dns_records(ref, answer, f"{ref}.supabase.co")}
        return CreateResult(f"{ref}/{hostname}", outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**_olds, **news})  # only the API URL can change without a replacement

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            answer = self.management(props).get_custom_hostname(props["projectRef"])
        except SupabaseNotFound:
            return ReadResult(None, {})
        if answer.get("status") == "1_not_started" or not answer.get("custom_hostname"):
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "hostname": answer["custom_hostname"], "status": answer["status"]})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            self.management(props).delete_custom_hostname(props["projectRef"], props["hostname"])
        except SupabaseNotFound:
            return


class CustomDomainActivationProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, _check_hostname(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = changed_keys(olds, news, ("hostname", "projectRef", "managementApiUrl"))
        if olds.get("status") != ACTIVE:
            changes.append("status")
        return diff_result(sorted(set(changes)), replace_keys=("hostname", "projectRef"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['projectRef']}/{props['hostname']}/activation", self._activate(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._activate(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            answer = self.management(props).get_custom_hostname(props["projectRef"])
        except SupabaseNotFound:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "status": answer.get("status")})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # deactivating is removing the hostname, which CustomDomain's deletion does

    def _activate(self, props: dict[str, Any]) -> dict[str, Any]:
        ref, hostname = props["projectRef"], props["hostname"]
        client = self.management(props)
        timeout = float(props.get("verifyTimeoutSeconds") or 1800)
        poll = self.env_float("SUPABASE_POLL_INTERVAL_SECONDS", 10.0)
        deadline = time.monotonic() + timeout
        status = client.get_custom_hostname(ref).get("status", "")
        while status < VERIFIED:
            status = client.reverify_custom_hostname(ref, hostname).get("status", "")
            if status >= VERIFIED:
                break
            if time.monotonic() >= deadline:
                raise SupabaseError(
                    f"domain {hostname} was not verified within {timeout:g}s (status {status}). Check the CNAME "
                    "and TXT records from the CustomDomain outputs in DNS, then run the deployment again"
                )
            time.sleep(poll)  # the default 10 s keeps us under the 10-a-minute limit of these calls
        if status != ACTIVE:
            status = client.activate_custom_hostname(ref, hostname).get("status", status)
        return {**props, "status": status}


@dataclass(frozen=True, kw_only=True)
class CustomDomainArgs:
    project_ref: pulumi.Input[str]
    hostname: str
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class CustomDomain(pulumi.dynamic.Resource, module="supabase", name="CustomDomain"):
    dnsRecords: pulumi.Output[list[dict[str, str]]]

    def __init__(self, resource_name: str, args: CustomDomainArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "hostname": args.hostname,
            "status": None,
            "dnsRecords": None,
        }
        super().__init__(CustomDomainProvider(), resource_name, props, opts)


@dataclass(frozen=True, kw_only=True)
class CustomDomainActivationArgs:
    project_ref: pulumi.Input[str]
    hostname: str
    dns_record_names: pulumi.Input[list[str]]
    verify_timeout_seconds: int = 1800
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class CustomDomainActivation(pulumi.dynamic.Resource, module="supabase", name="CustomDomainActivation"):
    status: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: CustomDomainActivationArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "hostname": args.hostname,
            "dnsRecordNames": args.dns_record_names,
            "verifyTimeoutSeconds": args.verify_timeout_seconds,
            "status": None,
        }
        super().__init__(CustomDomainActivationProvider(), resource_name, props, opts)
