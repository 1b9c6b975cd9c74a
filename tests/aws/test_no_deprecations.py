"""The program registers nothing through deprecated pulumi-aws resources or arguments, for the AWS half and
for the whole program, staging and prod."""

from __future__ import annotations

import pulumi_aws as aws
import pytest

from ops.engineless.program import run_program
from tests.aws import aws_program
from tests.aws.aws_mocks import WholeProgramMocks
from tests.aws.aws_program import run_aws_program
from tests.aws.deprecations import deprecation_findings, import_aws_modules


@pytest.fixture(autouse=True, scope="module")
def _aws_modules_imported() -> None:
    import_aws_modules()


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_aws_parts_register_without_deprecated_arguments(stack):
    run = run_aws_program(stack, with_custom_domain=True)
    assert any(r.type.startswith("aws:s3/") for r in run.resources), "the AWS parts did not run"
    assert deprecation_findings(run) == []


@pytest.mark.parametrize(
    "legacy",
    [
        lambda: aws.s3.Bucket("legacy", versioning={"enabled": True}),  # keyword: no SDK warning, found in inputs
        lambda: aws.s3.Bucket("legacy", aws.s3.BucketArgs(lifecycle_rules=[{"enabled": True}])),  # SDK warns
        lambda: aws.iam.Role("legacy", assume_role_policy="{}", managed_policy_arns=["arn:aws:iam::aws:policy/x"]),
        lambda: aws.s3.BucketV2("legacy"),  # a deprecated resource type
    ],
    ids=["inline-versioning", "inline-lifecycle-args", "role-managed-policy-arns", "bucket-v2"],
)
def test_a_deprecated_argument_or_resource_would_be_found(legacy, monkeypatch):
    original = aws_program.build_aws_platform

    def with_legacy(config, supabase):
        platform = original(config, supabase)
        legacy()
        return platform

    monkeypatch.setattr(aws_program, "build_aws_platform", with_legacy)
    assert deprecation_findings(run_aws_program("staging")) != []


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_whole_program_registers_without_deprecated_arguments(stack):
    run = run_program(stack, mocks=WholeProgramMocks())
    assert any(r.type.startswith("aws:") for r in run.resources), (
        "__main__.py does not wire the AWS parts yet (components.aws_platform.build_aws_platform)"
    )
    assert deprecation_findings(run) == []
