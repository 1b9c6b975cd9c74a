"""The program's Supabase wiring for staging and prod, under Pulumi's mocks with the real stack files."""

from __future__ import annotations

import json

import pytest
from pulumi.runtime import mocks as pulumi_mocks

from ops.engineless.program import run_program
from tests.aws.aws_mocks import WholeProgramMocks
from tests.harness.provider_host import Secret

PROJECT_TYPE = "pulumi-python:dynamic/supabase:Project"
SERVICE_KEY = "eyJ.service-role-key-for-the-mock"
POOLER_URL = "postgresql://postgres.abcdefghijklmnopqrst:Generated-pass-1@pooler.example:5432/postgres"
# STRIPE_WEBHOOK_SECRET is not here: the committed stacks own the Stripe endpoint, which sets it.
SECRETS = {"OPENAI_API_KEY": "sk-openai-in-config", "RAZORPAY_WEBHOOK_SECRET": "razorpay-whsec-in-config"}


class ProjectMocks(WholeProgramMocks):
    """The whole program's mocks, with the project's outputs these tests look for."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict]:
        if args.typ != PROJECT_TYPE:
            return super().new_resource(args)
        return f"{args.name}-id", {
            **dict(args.inputs),
            "ref": "abcdefghijklmnopqrst",
            "projectUrl": "https://abcdefghijklmnopqrst.supabase.co",
            "anonKey": "eyJ.anon-key",
            "serviceRoleKey": SERVICE_KEY,
            "poolerConnectionString": POOLER_URL,
        }


def run(stack: str):
    overrides = {
        "functionSecrets": Secret(SECRETS),
        "authSecrets": Secret({"smtpPass": "smtp-password-in-config"}),
        "databasePassword": Secret("Configured-db-password"),
    }
    return run_program(stack, overrides, mocks=ProjectMocks())


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_stack_exports_what_the_frontend_needs_and_nothing_secret(stack):
    program = run(stack)
    assert program.outputs["supabaseUrl"] == "https://abcdefghijklmnopqrst.supabase.co"
    assert program.outputs["supabaseAnonKey"] == "eyJ.anon-key"
    assert program.outputs["supabaseProjectRef"] == "abcdefghijklmnopqrst"
    assert program.outputs["functionsUrl"] == "https://abcdefghijklmnopqrst.supabase.co/functions/v1"
    plain = json.dumps({k: v for k, v in program.outputs.items() if k not in program.secret_outputs}, default=str)
    for secret in (SERVICE_KEY, POOLER_URL, "Configured-db-password", *SECRETS.values()):
        assert secret not in plain


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_secrets_enter_the_resources_as_secrets(stack):
    program = run(stack)
    project = program.named("supabase-project")
    assert "databasePassword" in project.secret_inputs
    assert "secrets" in program.named("supabase-function-secrets").secret_inputs
    assert "secretSettings" in program.named("supabase-auth").secret_inputs
    assert set(project.options["additional_secret_outputs"]) >= {"serviceRoleKey", "poolerConnectionString"}
    # The migrations connect through the project's pooler, as a secret.
    migrations = program.named("platform-db-migrations")
    assert migrations.inputs["connection"] == POOLER_URL and "connection" in migrations.secret_inputs


def test_only_prod_protects_its_project():
    assert run("prod").named("supabase-project").options["protect"] is True
    assert not run("staging").named("supabase-project").options["protect"]


def test_both_guides_buckets_and_settings_are_built():
    program = run("prod")
    buckets = {r.inputs["bucketId"]: r.inputs for r in program.of_type("pulumi-python:dynamic/supabase:StorageBucket")}
    assert set(buckets) >= {"avatars", "automation-results", "ticket-attachments", "documents", "thumbnails"}
    assert buckets["avatars"]["public"] is True and buckets["documents"]["public"] is False
    settings = program.named("supabase-database-settings").inputs
    assert settings["postgresConfig"]["max_connections"] == 200 and settings["sslEnforced"] is True
    auth = program.named("supabase-auth").inputs["settings"]
    assert auth["mailer_autoconfirm"] is False and auth["mailer_secure_email_change_enabled"] is True


def test_local_stack_has_no_supabase_project():
    program = run_program("local")
    assert not program.of_type(PROJECT_TYPE)


def test_each_function_folder_is_a_function_with_explicit_verify_jwt(tmp_path):
    root = tmp_path / "functions"
    for name in ("ai-chat", "subscription-manager", "_shared"):
        (root / name).mkdir(parents=True)
        (root / name / "index.ts").write_text(f"// {name}\n")
    (root / "ai-chat" / "function.json").write_text('{"entrypoint": "index.ts", "verify_jwt": true}')
    supabase = {"organizationSlug": "example-org", "projectName": "p", "functionsDir": str(root)}
    program = run_program(
        "staging",
        {"supabase": supabase, "functions": {"subscription-manager": {"verifyJwt": False}}},
        mocks=ProjectMocks(),
    )
    functions = {r.inputs["slug"]: r.inputs for r in program.of_type("pulumi-python:dynamic/supabase:EdgeFunction")}
    assert set(functions) == {"ai-chat", "subscription-manager"}
    assert functions["ai-chat"]["verifyJwt"] is True and functions["subscription-manager"]["verifyJwt"] is False
    assert len(functions["ai-chat"]["contentHash"]) == 64

    (root / "ai-chat" / "index.ts").write_text("// changed\n")
    again = run_program("staging", {"supabase": supabase}, mocks=ProjectMocks())
    rehashed = {r.inputs["slug"]: r.inputs for r in again.of_type("pulumi-python:dynamic/supabase:EdgeFunction")}
    assert rehashed["ai-chat"]["contentHash"] != functions["ai-chat"]["contentHash"]
    # subscription-manager's settings now come from its defaults (verify_jwt on), so its hash changes too.
    assert rehashed["subscription-manager"]["verifyJwt"] is True


def test_override_for_a_missing_function_is_refused(tmp_path):
    (tmp_path / "functions").mkdir()
    supabase = {"organizationSlug": "example-org", "projectName": "p", "functionsDir": str(tmp_path / "functions")}
    with pytest.raises(Exception, match="subscription-manger configured but not found"):
        run_program("staging", {"supabase": supabase, "functions": {"subscription-manger": {"verifyJwt": False}}})


def test_plain_function_settings_join_the_secrets_and_the_app_version_is_set_for_health_check():
    overrides = {
        "functionSecrets": Secret(SECRETS),
        "functionSettings": {"AI_PROVIDER_FALLBACK_ORDER": "claude,openai", "SUPPORT_EMAIL_TO": "help@corp.test"},
        "appVersion": "2.3.4",
    }
    program = run_program("staging", overrides, mocks=ProjectMocks())
    secrets = program.named("supabase-function-secrets")
    assert secrets.inputs["secrets"] == {
        **SECRETS,
        "AI_PROVIDER_FALLBACK_ORDER": "claude,openai",
        "SUPPORT_EMAIL_TO": "help@corp.test",
        "APP_VERSION": "2.3.4",
    }
    assert "secrets" in secrets.secret_inputs


def test_a_name_in_both_function_settings_and_secrets_is_refused():
    overrides = {
        "functionSecrets": Secret({**SECRETS, "SUPPORT_EMAIL_TO": "a@corp.test"}),
        "functionSettings": {"SUPPORT_EMAIL_TO": "b@corp.test"},
    }
    with pytest.raises(Exception, match="functionSettings and functionSecrets both set SUPPORT_EMAIL_TO"):
        run_program("staging", overrides, mocks=ProjectMocks())


def test_an_smtp_port_supabase_blocks_is_refused_without_echoing_secrets():
    # SMTP_PORT is one of the guides' secrets, so functionSecrets is the only place it can be set.
    overrides = {"functionSecrets": Secret({**SECRETS, "SMTP_PORT": "587"})}
    with pytest.raises(Exception, match="SMTP_PORT: Supabase's edge runtime refuses") as raised:
        run_program("staging", overrides, mocks=ProjectMocks())
    assert not any(secret in str(raised.value) for secret in SECRETS.values())


def test_the_missing_secrets_warning_names_only_what_the_functions_read():
    program = run_program("staging", {"functionSecrets": Secret({"OPENAI_API_KEY": "sk-x"})}, mocks=ProjectMocks())
    [warning] = [w for w in program.warnings if "functionSecrets has no value" in w]
    named = set(warning.split(" for ", 1)[1].split(", which")[0].split(", "))
    assert {"ANTHROPIC_API_KEY", "AUTOMATION_SERVICE_URL", "WEBHOOK_SECRET", "SMTP_HOST"} <= named
    assert "OPENAI_API_KEY" not in named  # configured
    assert "CHAINLINK_API_KEY" not in named  # no function reads it
    assert "SENTRY_DSN" in named  # the shared frame reports 5xx answers to Sentry when it is set
    assert {"HUGGINGFACE_API_KEY", "GOOGLE_VISION_API_KEY"} <= named  # document-processor reads them
    assert {"STRIPE_SECRET_KEY", "RAZORPAY_WEBHOOK_SECRET"} <= named  # subscription-manager reads them
