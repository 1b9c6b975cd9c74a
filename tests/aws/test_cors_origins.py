"""CORS_ALLOWED_ORIGINS for the stacks with a Supabase project: the frontend's own origins (custom domain,
CloudFront name, supabaseAuth.siteUrl), never `*` unless the stack file says so; the local stack keeps the
functions' permissive default."""

from __future__ import annotations

import pytest

from ops.engineless.program import run_program
from tests.aws.aws_mocks import WholeProgramMocks

SETTING = "cors-origins-setting"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def origins(run) -> list[str]:
    secrets = run.named(SETTING).inputs["secrets"]
    assert set(secrets) == {"CORS_ALLOWED_ORIGINS"}, "the resource manages this one name only"
    return secrets["CORS_ALLOWED_ORIGINS"].split(", ")


def frontend_domain(run) -> str:
    [frontend] = [d for d in run.of_type(DISTRIBUTION) if d.name == "frontend-distribution"]
    return frontend.outputs["domainName"]


def test_prod_answers_its_custom_domain_and_cloudfront_name_only():
    run = run_program("prod", mocks=WholeProgramMocks())
    assert origins(run) == sorted(["https://app.example.com", f"https://{frontend_domain(run)}"])
    assert "*" not in run.named(SETTING).inputs["secrets"]["CORS_ALLOWED_ORIGINS"]


def test_staging_answers_its_cloudfront_name_and_its_site_url():
    run = run_program("staging", mocks=WholeProgramMocks())
    assert origins(run) == sorted([f"https://{frontend_domain(run)}", "https://staging.example.com"])


def test_an_explicit_setting_wins_even_a_deliberate_star():
    run = run_program("prod", {"functionSettings": {"CORS_ALLOWED_ORIGINS": "*"}}, mocks=WholeProgramMocks())
    assert not [r for r in run.resources if r.name == SETTING]
    assert run.named("supabase-function-secrets").inputs["secrets"]["CORS_ALLOWED_ORIGINS"] == "*"


def test_the_local_stack_keeps_the_functions_permissive_default():
    run = run_program("local")
    assert not [r for r in run.resources if r.name == SETTING]


def test_a_supabase_stack_with_no_origin_to_default_to_is_refused_naming_the_key():
    off = {"enabled": False}
    overrides = {
        "aws": off,
        "frontend": off,
        "storageCdn": off,
        "backup": off,
        "alerts": off,
        "ciIdentity": off,
        "waf": off,
        "budget": off,
        "providerSpend": off,
        "supabaseAuth": {"redirectUrls": []},
    }
    with pytest.raises(Exception, match=r"functionSettings.CORS_ALLOWED_ORIGINS: this stack has no frontend origin"):
        run_program("staging", overrides, mocks=WholeProgramMocks())


def test_the_setting_is_written_after_the_configs_own_secrets():
    run = run_program("prod", mocks=WholeProgramMocks())
    assert run.named("supabase-function-secrets").urn in run.named(SETTING).options["depends_on"]
