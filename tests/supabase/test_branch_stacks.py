"""The branch stacks' config and wiring, under Pulumi's mocks with the committed files: the dev stack
(Pulumi.dev.yaml) and a preview written from Pulumi.preview.yaml both build a Branch where staging builds its
Project, with everything else inside it; a preview refuses live keys and AWS, and takes its secrets from the
environment's test-mode values only."""

from __future__ import annotations

import json

import pytest
import yaml
from pulumi.runtime import mocks as pulumi_mocks

from components.supabase_branch import groups_with_preview_url
from ops.engineless.program import run_program
from ops.preview.cost import estimate
from ops.preview.stackfile import PreviewError, preview_config, preview_secrets
from stackconfig import ConfigError, validate_config
from stackconfig.paths import PROJECT_ROOT
from tests.aws.aws_mocks import WholeProgramMocks
from tests.harness.provider_host import Secret

BRANCH_TYPE = "pulumi-python:dynamic/supabase:Branch"
PROJECT_TYPE = "pulumi-python:dynamic/supabase:Project"
BRANCH_REF = "zyxwvutsrqponmlkjihg"


class BranchMocks(WholeProgramMocks):
    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if args.typ != BRANCH_TYPE:
            return super().new_resource(args)
        return BRANCH_REF, {
            **dict(args.inputs), "ref": BRANCH_REF, "parentRef": "abcdefghijklmnopqrst",
            "projectUrl": f"https://{BRANCH_REF}.supabase.co", "anonKey": "eyJ.branch-anon",
            "serviceRoleKey": "eyJ.branch-service", "poolerConnectionString": "postgresql://branch-pooler",
        }  # fmt: skip


def short_keys(config: dict) -> dict:
    return {key.split(":", 1)[1]: value for key, value in config.items()}


def test_dev_stack_is_a_protected_persistent_branch_of_staging_with_everything_inside_it():
    program = run_program("dev", {"functionSecrets": Secret({"OPENAI_API_KEY": "sk-dev"})}, mocks=BranchMocks())
    assert not program.of_type(PROJECT_TYPE), "the dev stack must not create a project of its own"
    [branch] = program.of_type(BRANCH_TYPE)
    assert branch.inputs["name"] == "dev" and branch.inputs["persistent"] is True
    assert branch.inputs["parentName"] == "ai-super-assistant-staging" and branch.options["protect"] is True
    functions = program.of_type("pulumi-python:dynamic/supabase:EdgeFunction")
    assert functions and {f.inputs["projectRef"] for f in functions} == {BRANCH_REF}
    assert program.named("platform-db-migrations").inputs["connection"] == "postgresql://branch-pooler"
    assert program.outputs["supabaseProjectRef"] == BRANCH_REF and program.outputs["environment"] == "development"


def test_a_preview_of_pull_request_42_is_branch_pr_42_with_its_url_among_the_redirects():
    config = preview_config(42, "feature/login")
    program = run_program("preview", short_keys(config), mocks=BranchMocks())
    [branch] = program.of_type(BRANCH_TYPE)
    assert (branch.inputs["name"], branch.inputs["gitBranch"]) == ("pr-42", "feature/login")
    assert branch.inputs["persistent"] is False and branch.inputs["maxConcurrent"] == 5
    assert not branch.options.get("protect")
    auth = json.loads(json.dumps(program.named("supabase-auth").inputs["settings"]))
    assert auth["site_url"] == "https://pr-42.preview.example.com"
    assert "https://pr-42.preview.example.com/**" in auth["uri_allow_list"].split(",")
    assert not [r for r in program.resources if r.type.startswith("aws:")], "a preview has no AWS parts"


def test_the_template_alone_is_not_a_stack():
    template = yaml.safe_load((PROJECT_ROOT / "Pulumi.preview.yaml").read_text())["config"]
    with pytest.raises(ConfigError, match=r"supabaseBranch: .*name is required"):
        validate_config(short_keys(template), stack_file="Pulumi.preview.yaml")


def test_a_preview_refuses_live_keys_by_name_and_aws():
    config = short_keys(preview_config(42))
    live = {**config, "functionSecrets": {"STRIPE_SECRET_KEY": "sk_live_abcdef123456"}}
    with pytest.raises(ConfigError) as refused:
        validate_config(live, secret_keys={"functionSecrets"}, stack_file="Pulumi.pr-42.yaml")
    assert "STRIPE_SECRET_KEY" in str(refused.value) and "sk_live_abcdef" not in str(refused.value)
    with pytest.raises(ConfigError, match="without AWS"):
        validate_config({**config, "aws": {"enabled": True, "region": "eu-central-1"}}, stack_file="Pulumi.pr-42.yaml")


def test_preview_secrets_come_from_preview_secret_variables_and_never_live():
    environ = {"PREVIEW_SECRET_OPENAI_API_KEY": "sk-test", "STRIPE_SECRET_KEY": "sk_live_from_the_shell", "HOME": "/"}
    assert preview_secrets(environ) == {"OPENAI_API_KEY": "sk-test"}
    with pytest.raises(PreviewError, match="PREVIEW_SECRET_STRIPE_SECRET_KEY hold live-mode keys") as refused:
        preview_secrets({"PREVIEW_SECRET_STRIPE_SECRET_KEY": "sk_live_abcdef123456"})
    assert "abcdef123456" not in str(refused.value)


def test_cost_is_the_hourly_price_times_the_age_limit():
    micro = estimate(None, 72)
    assert (micro.size, micro.hourly_usd) == ("micro", 0.01344)
    assert round(micro.daily_usd, 2) == 0.32 and round(micro.ceiling_usd, 2) == 0.97
    assert round(estimate("small", 24).ceiling_usd, 4) == round(0.0206 * 24, 4)
    with pytest.raises(ValueError, match="no published hourly price"):
        estimate("48xlarge", 72)


def test_config_toml_auth_groups_keep_the_previews_url():
    """Settings from config.toml's [auth] groups are laid over the stack's own: a site or redirect list there must
    not drop the preview's URL, and a file that replaces the stack's auth settings gets it too."""
    preview = "https://pr-42.preview.example.com"
    overlay = groups_with_preview_url(
        {"site_url": "https://app.example.com", "uri_allow_list": "https://app.example.com/**"}, preview, replace=False
    )
    assert overlay["site_url"] == preview
    assert overlay["uri_allow_list"].split(",") == ["https://app.example.com/**", f"{preview}/**"]
    assert groups_with_preview_url({"jwt_exp": 3600}, preview, replace=False) == {"jwt_exp": 3600}
    replaced = groups_with_preview_url({"jwt_exp": 3600}, preview, replace=True)
    assert (replaced["site_url"], replaced["uri_allow_list"]) == (preview, f"{preview}/**")
    assert groups_with_preview_url({"site_url": "https://x"}, None, replace=True) == {"site_url": "https://x"}
