"""__main__.py wires the AWS parts to the Supabase project: the outputs the frontend build and operators read,
the health check on the project's health-check function, and the custom domain's DNS before its activation."""

from __future__ import annotations

import json

import pytest
from pulumi.output import Unknown
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.rpc import UNKNOWN

from ops.engineless.program import ProgramRun, run_program
from ops.frontend_env import build_env
from tests.aws.aws_mocks import SUPABASE_REF, WholeProgramMocks, supabase_resource

AWS_OUTPUTS = (
    "frontendUrl",
    "frontendBucket",
    "distributionId",
    "cdnDomain",
    "storageCdnUrl",
    "backupBucket",
    "alertsTopicArn",
)
FRONTEND_OUTPUTS = (
    "supabaseUrl",
    "supabaseAnonKey",
    "supabaseProjectRef",
    "functionsUrl",
    "environment",
    "appName",
    "appVersion",
    "featureFlags",
)
RECORD = "aws:route53/record:Record"
ACTIVATION = "pulumi-python:dynamic/supabase:CustomDomainActivation"


def whole_program(stack: str, **overrides: object) -> ProgramRun:
    return run_program(stack, dict(overrides) or None, mocks=WholeProgramMocks())


def test_prod_exports_every_output_the_frontend_build_and_operators_read():
    run = whole_program("prod")
    missing = [name for name in (*AWS_OUTPUTS, *FRONTEND_OUTPUTS) if name not in run.outputs]
    assert missing == []
    assert run.outputs["frontendUrl"] == "https://app.example.com"
    assert run.outputs["featureFlags"] == {
        "aiChat": True,
        "automation": True,
        "itSupport": True,
        "analytics": True,
        "documentVault": True,
    }
    assert run.outputs["environment"] == "production"
    plain = json.dumps({k: v for k, v in run.outputs.items() if k not in run.secret_outputs}, default=str)
    assert "service-role" not in plain and ":pw@" not in plain


def test_staging_without_a_domain_still_gets_cdn_backups_and_alarms():
    run = whole_program("staging")
    assert run.outputs["frontendUrl"].startswith("https://") and run.outputs["frontendUrl"].endswith(".cloudfront.net")
    assert {"backupBucket", "alertsTopicArn", "storageCdnUrl"} <= set(run.outputs)
    assert run.of_type(RECORD) == []


def test_the_health_check_watches_the_projects_health_check_function():
    [check] = whole_program("prod").of_type("aws:route53/healthCheck:HealthCheck")
    assert check.inputs["fqdn"] == f"{SUPABASE_REF}.supabase.co"
    assert check.inputs["resourcePath"] == "/functions/v1/health-check"
    assert check.inputs["type"] == "HTTPS_STR_MATCH" and check.inputs["searchString"] == '"status":"healthy"'


def test_the_local_stack_has_no_aws_resources():
    run = run_program("local")
    assert [r.type for r in run.resources if r.type.startswith("aws:")] == []
    assert not set(AWS_OUTPUTS) & set(run.outputs)


def test_the_custom_domain_gets_its_records_in_the_zone_before_activation():
    run = whole_program("prod", supabaseCustomDomain={"hostname": "api.example.com"})
    records = {(r.inputs["type"], r.inputs["name"]): r for r in run.of_type(RECORD)}
    assert records[("CNAME", "api.example.com")].inputs["records"] == [f"{SUPABASE_REF}.supabase.co"]
    assert ("TXT", "_cf-custom-hostname.api.example.com") in records
    assert ("TXT", "_acme-challenge.api.example.com") in records
    [activation] = run.of_type(ACTIVATION)
    # Depending on the DNS component means depending on each record in it (the SDK expands components).
    supabase_records = [r for (kind, name), r in records.items() if name.endswith("api.example.com")]
    assert len(supabase_records) == 3
    assert all(r.urn in activation.options["depends_on"] for r in supabase_records)


def test_a_custom_domain_outside_the_zone_is_refused_before_anything_registers():
    with pytest.raises(Exception, match=r"supabaseCustomDomain.hostname: api.other.org is not inside dns.zoneName"):
        whole_program("prod", supabaseCustomDomain={"hostname": "api.other.org"})


def test_aws_without_a_supabase_project_is_refused():
    with pytest.raises(Exception, match=r"aws.enabled: the AWS parts front the stack's Supabase project"):
        run_program("local", {"aws": {"enabled": True, "region": "eu-central-1"}})


def test_the_frontend_environment_is_written_from_the_programs_own_outputs():
    run = whole_program("prod")
    shown = {k: ("[secret]" if k in run.secret_outputs else v) for k, v in run.outputs.items()}
    env = dict(build_env(shown))  # as `pulumi stack output --json` shows them
    assert env["VITE_SUPABASE_URL"] == f"https://{SUPABASE_REF}.supabase.co"
    assert env["VITE_APP_ENV"] == "production"
    assert env["VITE_ENABLE_AI_CHAT"] == "true"
    assert env["VITE_CDN_URL"] == "https://cdn.example.com/storage/v1/object/public"  # + <bucket>/<path>


class FirstPreviewMocks(WholeProgramMocks):
    """`pulumi preview` of a stack that does not exist yet: every output of a dynamic resource is unknown."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if not args.typ.startswith("pulumi-python:dynamic/"):
            return super().new_resource(args)
        inputs = dict(args.inputs)
        _, outputs = supabase_resource(args.typ, args.name, inputs) or ("", inputs)
        return "", {key: value if key in inputs else UNKNOWN for key, value in outputs.items()}


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_first_preview_with_every_supabase_output_unknown_registers_the_whole_stack(stack):
    overrides = {"supabaseCustomDomain": {"hostname": "api.example.com"}} if stack == "prod" else None
    run = run_program(stack, overrides, mocks=FirstPreviewMocks(), preview=True)
    [check] = run.of_type("aws:route53/healthCheck:HealthCheck")
    assert isinstance(check.inputs["fqdn"], Unknown)  # known only once the project exists
    storage_origins = [
        o["domainName"]
        for r in run.of_type("aws:cloudfront/distribution:Distribution")
        if r.name == "storage-cdn-distribution"
        for o in r.inputs["origins"]
    ]
    assert storage_origins and all(isinstance(origin, Unknown) for origin in storage_origins)
    assert len(run.of_type("aws:cloudfront/distribution:Distribution")) == 2
    if stack == "prod":
        assert len(run.of_type(ACTIVATION)) == 1


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_the_committed_stack_registers_its_protections_through_main(stack):
    """__main__.py with the committed file as is: the firewall on both CDNs, the replication, the budget and the
    spend meter, and Stripe's webhook endpoint."""
    run = whole_program(stack)
    [acl] = run.of_type("aws:wafv2/webAcl:WebAcl")
    assert (acl.inputs["scope"], acl.inputs["region"]) == ("CLOUDFRONT", "us-east-1")
    distributions = run.of_type("aws:cloudfront/distribution:Distribution")
    assert len(distributions) == 2 and all(d.inputs["webAclId"] == acl.outputs["arn"] for d in distributions)
    [replication] = run.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    [replica_key] = [k for k in run.of_type("aws:kms/key:Key") if k.name == "backup-replica-key"]
    assert replication.inputs["rules"][0]["destination"]["encryptionConfiguration"] == {
        "replicaKmsKeyId": replica_key.outputs["arn"]
    }
    assert len(run.of_type("aws:budgets/budget:Budget")) == 1
    assert len([f for f in run.of_type("aws:lambda/function:Function") if f.name == "provider-spend-function"]) == 1
    assert len(run.of_type("pulumi-python:dynamic/stripe:WebhookEndpoint")) == 1


def test_prod_as_committed_serves_the_api_on_its_custom_domain_with_records_in_the_zone():
    run = whole_program("prod")  # no override: Pulumi.prod.yaml's supabaseCustomDomain
    [domain] = run.of_type("pulumi-python:dynamic/supabase:CustomDomain")
    assert domain.inputs["hostname"] == "api.example.com"
    records = {(r.inputs["type"], r.inputs["name"]) for r in run.of_type(RECORD)}
    assert {
        ("CNAME", "api.example.com"),
        ("TXT", "_cf-custom-hostname.api.example.com"),
        ("TXT", "_acme-challenge.api.example.com"),
    } <= records
    assert len(run.of_type(ACTIVATION)) == 1
    assert not whole_program("staging").of_type("pulumi-python:dynamic/supabase:CustomDomain")
