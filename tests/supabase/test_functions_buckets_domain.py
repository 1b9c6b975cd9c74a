"""Edge functions, Storage buckets and the custom domain through the real provider host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.supabase.custom_domain import ACTIVE, CustomDomainActivationProvider, CustomDomainProvider
from providers.supabase.edge_function import EdgeFunctionProvider
from providers.supabase.function_bundle import collect_files, content_hash, discover_functions, read_manifest
from providers.supabase.storage_bucket import StorageBucketProvider
from tests.supabase.helpers import assert_no_secret, checked, engine_visible_text, provider_error, ready_project


@pytest.fixture
def functions_dir(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    (root / "_shared").mkdir(parents=True)
    (root / "_shared" / "cors.ts").write_text("export const cors = {};\n")
    for name, verify_jwt in (("ai-chat", True), ("subscription-manager", False)):
        (root / name).mkdir()
        (root / name / "index.ts").write_text(f'import {{ cors }} from "../_shared/cors.ts";\n// {name}\n')
        (root / name / "function.json").write_text(json.dumps({"entrypoint": "index.ts", "verify_jwt": verify_jwt}))
    (root / "ai-chat" / "index_test.ts").write_text("// tests are not deployed\n")
    (root / ".hidden").mkdir()
    return root


def function_props(fake, ref: str, functions_dir: Path, slug: str, verify_jwt: bool | None = None) -> dict:
    settings = read_manifest(functions_dir, slug)
    verify = settings.verify_jwt if verify_jwt is None else verify_jwt
    return {
        "managementApiUrl": fake.url,
        "projectRef": ref,
        "slug": slug,
        "functionsDir": str(functions_dir),
        "entrypoint": settings.entrypoint,
        "verifyJwt": verify,
        "importMap": None,
        "contentHash": content_hash(collect_files(functions_dir, slug), settings.entrypoint, verify, None),
    }


def test_bundle_discovers_functions_and_names_files_by_relative_path(functions_dir):
    assert discover_functions(functions_dir) == ["ai-chat", "subscription-manager"]
    names = [name for name, _ in collect_files(functions_dir, "ai-chat")]
    assert names == ["_shared/cors.ts", "ai-chat/index.ts"]  # no function.json, no tests, no dot-folders
    assert read_manifest(functions_dir, "subscription-manager").verify_jwt is False


def test_edge_function_lifecycle_redeploys_only_on_change(host, fake_supabase, functions_dir):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = EdgeFunctionProvider()
    props = checked(host, provider, function_props(fake_supabase, ref, functions_dir, "subscription-manager"))

    created = host.create(provider, props)
    deployed = project.functions["subscription-manager"]
    assert deployed.verify_jwt is False, "payment webhooks must be deployed with verify_jwt off"
    assert deployed.entrypoint_path == "subscription-manager/index.ts"
    assert sorted(deployed.files) == ["_shared/cors.ts", "subscription-manager/index.ts"]
    assert created.outs["version"] == 1

    same = function_props(fake_supabase, ref, functions_dir, "subscription-manager")
    assert host.diff(provider, created.id, created.outs, same).changes is False

    (functions_dir / "_shared" / "cors.ts").write_text("export const cors = { 'x': 1 };\n")
    changed = function_props(fake_supabase, ref, functions_dir, "subscription-manager")
    assert host.diff(provider, created.id, created.outs, changed).changes is True
    updated = host.update(provider, created.id, created.outs, changed)
    assert updated.outs["version"] == 2 and fake_supabase.count("v1-deploy-a-function") == 2
    assert b"'x': 1" in project.functions["subscription-manager"].files["_shared/cors.ts"]

    flipped = function_props(fake_supabase, ref, functions_dir, "subscription-manager", verify_jwt=True)
    assert host.diff(provider, created.id, updated.outs, flipped).changes is True

    # Someone deploys other code from their laptop: the version moves, refresh shows it, up redeploys ours.
    project.functions["subscription-manager"].version = 7
    project.functions["subscription-manager"].verify_jwt = True
    drifted = host.read(provider, created.id, updated.outs)
    assert drifted.outs["verifyJwt"] is True and drifted.outs["contentHash"].startswith("deployed outside")
    assert host.diff(provider, created.id, drifted.outs, changed).changes is True
    host.update(provider, created.id, drifted.outs, changed)
    assert project.functions["subscription-manager"].verify_jwt is False

    host.delete(provider, created.id, updated.outs)
    assert "subscription-manager" not in project.functions
    assert host.read(provider, created.id, updated.outs).id == ""


def test_files_changed_after_preview_are_not_deployed_silently(host, fake_supabase, functions_dir):
    ref = ready_project(fake_supabase)
    provider = EdgeFunctionProvider()
    props = checked(host, provider, function_props(fake_supabase, ref, functions_dir, "ai-chat"))
    (functions_dir / "ai-chat" / "index.ts").write_text("// edited after the preview\n")
    error = provider_error(lambda: host.create(provider, props))
    assert "functions/ai-chat changed between the preview and this deployment" in error.details
    assert fake_supabase.count("v1-deploy-a-function") == 0


def bucket_props(fake, ref: str, **overrides) -> dict:
    props = {
        "managementApiUrl": fake.url,
        "projectRef": ref,
        "projectUrl": fake.project_url_template.format(ref=ref),
        "bucketId": "documents",
        "public": False,
        "fileSizeLimit": 52428800,
        "allowedMimeTypes": ["application/pdf", "image/png"],
    }
    return {**props, **overrides}


def test_storage_bucket_lifecycle_and_non_empty_bucket_is_kept(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = StorageBucketProvider()
    props = checked(host, provider, bucket_props(fake_supabase, ref))

    created = host.create(provider, props)
    bucket = project.buckets["documents"]
    assert bucket["public"] is False and bucket["file_size_limit"] == 52428800
    assert isinstance(bucket["file_size_limit"], int)
    assert host.diff(provider, created.id, created.outs, props).changes is False

    changed = {**props, "allowedMimeTypes": ["application/pdf"]}
    assert host.diff(provider, created.id, created.outs, changed).changes is True
    updated = host.update(provider, created.id, created.outs, changed)
    assert project.buckets["documents"]["allowed_mime_types"] == ["application/pdf"]

    project.buckets["documents"]["public"] = True  # made public in the dashboard
    drifted = host.read(provider, created.id, updated.outs)
    assert drifted.outs["public"] is True
    assert host.diff(provider, created.id, drifted.outs, changed).changes is True
    host.update(provider, created.id, drifted.outs, changed)
    assert project.buckets["documents"]["public"] is False

    project.objects["documents"].append("user-1/contract.pdf")
    error = provider_error(lambda: host.delete(provider, created.id, updated.outs))
    assert "still holds objects" in error.details and "documents" in project.buckets

    project.objects["documents"].clear()
    host.delete(provider, created.id, updated.outs)
    assert "documents" not in project.buckets
    assert_no_secret(engine_visible_text(created, updated, drifted, host=host), [project.service_key])


def test_existing_bucket_is_adopted_with_the_configured_settings(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    project.buckets["avatars"] = {
        "id": "avatars", "name": "avatars", "owner": "", "public": False, "file_size_limit": None,
        "allowed_mime_types": None, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
    }  # fmt: skip
    provider = StorageBucketProvider()
    props = checked(
        host, provider, bucket_props(fake_supabase, ref, bucketId="avatars", public=True, fileSizeLimit=5242880)
    )
    host.create(provider, props)
    assert project.buckets["avatars"]["public"] is True and project.buckets["avatars"]["file_size_limit"] == 5242880


def test_custom_domain_initialize_records_verify_activate(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    project.reverifies_until_verified = 3
    domain, activation = CustomDomainProvider(), CustomDomainActivationProvider()
    props = checked(
        host, domain, {"managementApiUrl": fake_supabase.url, "projectRef": ref, "hostname": "api.example.com"}
    )

    created = host.create(domain, props)
    records = {(r["type"], r["name"]) for r in created.outs["dnsRecords"]}
    assert ("CNAME", "api.example.com") in records
    assert ("TXT", "_cf-custom-hostname.api.example.com") in records
    assert ("TXT", "_acme-challenge.api.example.com") in records
    assert host.diff(domain, created.id, created.outs, props).changes is False
    assert host.diff(domain, created.id, created.outs, {**props, "hostname": "x.example.com"}).replaces == ["hostname"]

    activation_props = {**props, "dnsRecordNames": [r["name"] for r in created.outs["dnsRecords"]]}
    activation_props["verifyTimeoutSeconds"] = 10
    activated = host.create(activation, checked(host, activation, activation_props))
    assert activated.outs["status"] == ACTIVE == project.hostname_status
    assert fake_supabase.count("v1-verify-dns-config") == 3
    assert host.diff(activation, activated.id, activated.outs, activation_props).changes is False

    project.hostname_status = "2_initiated"  # e.g. the TXT record was removed and Supabase noticed
    drifted = host.read(activation, activated.id, activated.outs)
    assert host.diff(activation, activated.id, drifted.outs, activation_props).changes is True

    host.delete(domain, created.id, created.outs)
    assert project.custom_hostname == "" and project.hostname_status == "1_not_started"
    assert host.read(domain, created.id, created.outs).id == ""


def test_unverifiable_domain_fails_with_the_records_to_check(host, fake_supabase):
    ref = ready_project(fake_supabase)
    fake_supabase.projects[ref].reverifies_until_verified = 10_000
    domain, activation = CustomDomainProvider(), CustomDomainActivationProvider()
    props = {"managementApiUrl": fake_supabase.url, "projectRef": ref, "hostname": "api.example.com"}
    host.create(domain, props)
    error = provider_error(
        lambda: host.create(activation, {**props, "dnsRecordNames": [], "verifyTimeoutSeconds": 0.1})
    )
    assert "was not verified" in error.details and "CNAME" in error.details
    assert fake_supabase.count("v1-activate-custom-hostname") == 0
