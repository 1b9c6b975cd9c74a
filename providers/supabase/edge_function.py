"""One edge function, deployed with the multipart deploy endpoint (Supabase bundles it on its side).

Props:
  managementApiUrl, projectRef
  slug          the function's name (its folder under functions/)
  functionsDir  the functions folder, relative to the project root
  entrypoint    relative to the function's folder (function.json's "entrypoint")
  verifyJwt     sent on every deploy: Supabase keeps the previous value when it is left out, and payment
                webhooks (Stripe, Razorpay) call without a Supabase JWT, so they need it off explicitly
  importMap     optional, relative to functions/ (sent as import_map_path)
  (function.json's static_files are sent as static_patterns, relative to functions/, like the file names)
  contentHash   hash of the files and settings, computed by the program (see function_bundle.py)
Outputs add: version, status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, as_int, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.errors import SupabaseError, SupabaseNotFound
from providers.supabase.function_bundle import (
    SLUG_PATTERN,
    collect_files,
    content_hash,
    read_manifest,
    static_patterns,
)


class EdgeFunctionProvider(SupabaseProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        slug = news.get("slug")
        if not is_unknown(slug) and not (isinstance(slug, str) and SLUG_PATTERN.match(slug)):
            failures.append(CheckFailure("slug", "a function name starts with a letter: letters, digits, - and _"))
        if not is_unknown(news.get("verifyJwt")) and not isinstance(news.get("verifyJwt"), bool):
            failures.append(CheckFailure("verifyJwt", "true or false, always explicit"))
        if not news.get("contentHash"):
            failures.append(CheckFailure("contentHash", "computed by the program from the function's files"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("contentHash", "verifyJwt", "entrypoint", "importMap", "functionsDir", "managementApiUrl")
        changes = changed_keys(olds, news, (*keys, "slug", "projectRef"))
        return diff_result(changes, replace_keys=("slug", "projectRef"))

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['projectRef']}/{props['slug']}", self._deploy(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._deploy(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            deployed = self.management(props).get_function(props["projectRef"], props["slug"])
        except SupabaseNotFound:
            return ReadResult(None, {})
        outs = {**props, "verifyJwt": deployed.get("verify_jwt"), "status": deployed.get("status")}
        if as_int(deployed.get("version")) != as_int(props.get("version")):
            # Someone deployed other code; our files are unchanged, so mark the hash to redeploy them.
            outs["contentHash"] = f"deployed outside pulumi (version {deployed.get('version')})"
            outs["version"] = as_int(deployed.get("version"))
        return ReadResult(id_, outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            self.management(props).delete_function(props["projectRef"], props["slug"])
        except SupabaseNotFound:
            return

    def _deploy(self, props: dict[str, Any]) -> dict[str, Any]:
        slug, verify_jwt = props["slug"], bool(props["verifyJwt"])
        files = collect_files(props["functionsDir"], slug)
        current = content_hash(files, props["entrypoint"], verify_jwt, props.get("importMap"))
        if current != props["contentHash"]:
            raise SupabaseError(
                f"functions/{slug} changed between the preview and this deployment; run the deployment again "
                "so that what is deployed is what was previewed"
            )
        metadata: dict[str, Any] = {
            "name": slug,
            "entrypoint_path": f"{slug}/{props['entrypoint']}",
            "verify_jwt": verify_jwt,
        }
        if props.get("importMap"):
            metadata["import_map_path"] = props["importMap"]
        # As the CLI sends them: the patterns of the files the code reads at run time (uploaded with the rest).
        patterns = static_patterns(slug, read_manifest(props["functionsDir"], slug))
        if patterns:
            metadata["static_patterns"] = patterns
        deployed = self.management(props).deploy_function(props["projectRef"], slug, metadata, files)
        return {**props, "version": as_int(deployed.get("version")), "status": deployed.get("status")}


@dataclass(frozen=True, kw_only=True)
class EdgeFunctionArgs:
    project_ref: pulumi.Input[str]
    slug: str
    functions_dir: str
    entrypoint: str
    verify_jwt: bool
    content_hash: str
    import_map: str | None = None
    management_api_url: pulumi.Input[str] = "https://api.supabase.com"


class EdgeFunction(pulumi.dynamic.Resource, module="supabase", name="EdgeFunction"):
    version: pulumi.Output[int]

    def __init__(self, resource_name: str, args: EdgeFunctionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "managementApiUrl": args.management_api_url,
            "projectRef": args.project_ref,
            "slug": args.slug,
            "functionsDir": args.functions_dir,
            "entrypoint": args.entrypoint,
            "verifyJwt": args.verify_jwt,
            "importMap": args.import_map,
            "contentHash": args.content_hash,
            "version": None,
            "status": None,
        }
        super().__init__(EdgeFunctionProvider(), resource_name, props, opts)
