"""The repository's supabase/config.toml (every [auth.*] group, [api], [db], [storage]) pushed twice: by the real Supabase CLI
(`supabase config push`) into one Management API stand-in, and through this program under the real Pulumi
engine (`supabase.configToml`) into another; the two projects' Auth settings and service settings must then agree field by field.
The copy pushed carries a [remotes.<name>] block for the project's ref with an env() reference, so both read
the file the same way. Then drift: a setting of each group changed behind our back is seen by `pulumi refresh`
and set back by the next `up`."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from ops.engine import EngineSettings, open_stack
from ops.localdb import LocalDatabase
from providers.supabase.base import CHANGED_OUTSIDE
from tests.conftest import dbname_of
from tests.engine.helpers import run
from tests.engine.supabase_stack import PROJECT_NAME, PROJECT_ROOT, SECRETS, supabase_stack
from tests.supabase.cli_parity.state import differing_fields, settings_state
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase
from tests.supabase.fake_api.model import Project

CLI = PROJECT_ROOT / "node_modules" / ".bin" / "supabase"
# The file's secrets: the CLI reads them from its environment, the program from supabaseAuthSecrets.
SECRET_VALUES = {
    "smtp_pass": ("SUPABASE_AUTH_SMTP_PASS", "smtp-pass-compared"),
    "security_captcha_secret": ("SUPABASE_AUTH_CAPTCHA_SECRET", "0x4AAAAcaptcha-compared"),
    "sms_twilio_auth_token": ("SUPABASE_AUTH_SMS_TWILIO_AUTH_TOKEN", "twilio-token-compared"),
    "hook_send_email_secrets": ("SUPABASE_AUTH_HOOK_SEND_EMAIL_SECRETS", "v1,whsec_" + "c" * 32),
    "external_google_secret": ("SUPABASE_AUTH_EXTERNAL_GOOGLE_SECRET", "google-secret-compared"),
    "external_github_secret": ("SUPABASE_AUTH_EXTERNAL_GITHUB_SECRET", "github-secret-compared"),
    "external_azure_secret": ("SUPABASE_AUTH_EXTERNAL_AZURE_SECRET", "azure-secret-compared"),
}
# The remote block both must apply (matched by the project's ref), with an env() reference in it.
REMOTE = """
[remotes.compared]
project_id = "{ref}"

[remotes.compared.auth]
site_url = "env(COMPARED_SITE_URL)"
jwt_expiry = 1800

[remotes.compared.auth.rate_limit]
email_sent = 12

[remotes.compared.auth.hook.send_email]
enabled = true

[remotes.compared.auth.hook.before_user_created]
enabled = false

[remotes.compared.auth.third_party.firebase]
enabled = true
project_id = "compared-app"

[remotes.compared.api]
max_rows = 250

[remotes.compared.db.network_restrictions]
allowed_cidrs = ["198.51.100.0/24"]

[remotes.compared.db.pooler]
pool_mode = "session"
"""
SITE_URL = "https://compared.example.com"


def documented_difference(key: str, cli: Any, ours: Any) -> bool:
    """The one difference docs/supabase.md explains ("config.toml and the real CLI"): a hook or provider the
    file switches off is written false by the program; the CLI leaves a switch never set (null) alone."""
    switch = key.endswith("_enabled") and key.startswith(("hook_", "external_"))
    return switch and cli is None and ours is False


@dataclass
class Pushed:
    engine: EngineSettings
    cli_fake: FakeSupabase
    cli_project: Project
    program_fake: FakeSupabase
    program_project: Project
    stack: auto.Stack
    defaults: dict[str, Any]
    service_defaults: dict[str, Any]


def _cli_push(checkout: Path, fake: FakeSupabase, ref: str, home: Path) -> subprocess.CompletedProcess[str]:
    profile = home / "profile.yaml"
    profile.write_text(
        f"name: stand-in\napi_url: {fake.url}\ndashboard_url: {fake.url}/dashboard\nproject_host: supabase.co\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "SUPABASE_ACCESS_TOKEN": TEST_TOKEN,
        "COMPARED_SITE_URL": SITE_URL,
        **dict(SECRET_VALUES.values()),
    }
    command = [str(CLI), "config", "push", "--project-ref", ref, "--profile", str(profile), "--yes"]
    return subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=300)


def _same_ref(fake: FakeSupabase, project: Project, ref: str) -> Project:
    """The program's stand-in holds the project under the CLI's ref: the remote block and the secrets'
    HMACs (keyed by the ref) are then the same on both sides."""
    fake.projects.pop(project.ref)
    project.ref, project.region = ref, "eu-central-1"  # the staging file's region: adopted as it is
    fake.projects[ref] = project
    return project


@pytest.fixture(scope="module")
def pushed(pulumi_cli: Any, pg_cluster: LocalDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pushed]:
    if not CLI.exists():
        pytest.skip("the Supabase CLI is not installed (npm ci puts it in node_modules)")
    tmp = tmp_path_factory.mktemp("config-push")
    cli_fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        cli_project = cli_fake.add_project(PROJECT_NAME)
        defaults = dict(cli_project.auth_config)
        service_defaults = settings_state(cli_project)
        checkout = tmp / "checkout"
        shutil.copytree(PROJECT_ROOT / "supabase", checkout / "supabase")
        config_toml = checkout / "supabase" / "config.toml"
        config_toml.write_text(config_toml.read_text() + REMOTE.format(ref=cli_project.ref))
        (tmp / "home").mkdir()
        pushed_by_cli = _cli_push(checkout, cli_fake, cli_project.ref, tmp / "home")
        assert pushed_by_cli.returncode == 0, pushed_by_cli.stderr[-3000:]
        assert "[remotes.compared]" in pushed_by_cli.stderr, pushed_by_cli.stderr[-2000:]

        database = pg_cluster.create_database(f"config_push_{secrets.token_hex(4)}")
        # A timeout long enough that a loaded machine causes no retry: the test counts the PATCHes.
        engine = EngineSettings(
            cli=pulumi_cli,
            state_dir=tmp / "engine",
            passphrase=secrets.token_urlsafe(16),
            env={"SUPABASE_API_TIMEOUT_SECONDS": "30"},
        )
        os.environ["COMPARED_SITE_URL"] = SITE_URL  # the program runs inline, in this process
        try:
            with supabase_stack(engine, pg_cluster, dbname_of(database), tmp) as deployed:
                program_project = _same_ref(deployed.fake, deployed.fake.add_project(PROJECT_NAME), cli_project.ref)
                config = {
                    **deployed.config,
                    "supabase": {
                        **deployed.config["supabase"],
                        "projectRef": cli_project.ref,
                        "configToml": str(config_toml),
                    },
                    "supabaseAuth": {},  # the file holds the Auth settings
                }
                auth_secrets = {api: value for api, (_, value) in SECRET_VALUES.items()}
                stack = open_stack(
                    "staging",
                    deployed.settings,
                    config=config,
                    secrets={**SECRETS, "supabaseAuthSecrets": auth_secrets},
                )
                run(stack.up)
                yield Pushed(
                    deployed.settings, cli_fake, cli_project, deployed.fake, program_project, stack, defaults,
                    service_defaults,
                )  # fmt: skip
        finally:
            os.environ.pop("COMPARED_SITE_URL", None)
            pg_cluster.drop_database(dbname_of(database))
    finally:
        cli_fake.stop()
    assert not cli_fake.violations, "the CLI's requests outside the API contract:\n" + "\n".join(cli_fake.violations)


@pytest.mark.timeout(900)
def test_config_push_and_the_program_leave_the_same_auth_settings(pushed: Pushed) -> None:
    cli, ours = pushed.cli_project.auth_config, pushed.program_project.auth_config
    differing = sorted(key for key in cli.keys() | ours.keys() if cli.get(key) != ours.get(key))
    undocumented = [key for key in differing if not documented_difference(key, cli.get(key), ours.get(key))]
    assert not undocumented, {key: (cli.get(key), ours.get(key)) for key in undocumented}
    assert differing == ["hook_before_user_created_enabled"]  # the one hook the file switches off

    # The file really moved every group away from the project's defaults, on both sides.
    changed = {key for key in cli if cli[key] != pushed.defaults[key]}
    for group_field in (
        "site_url", "sessions_timebox", "rate_limit_otp", "security_captcha_enabled", "mailer_otp_length",
        "smtp_host", "mailer_templates_recovery_content", "mailer_notifications_password_changed_enabled",
        "sms_template", "sms_twilio_account_sid", "mfa_max_enrolled_factors", "hook_send_email_uri",
        "external_azure_url", "external_github_secret",
    ):  # fmt: skip
        assert group_field in changed, group_field
    # The remote block and its env() reference applied on both sides.
    assert ours["site_url"] == SITE_URL and ours["jwt_exp"] == 1800 and ours["rate_limit_email_sent"] == 12
    template = (PROJECT_ROOT / "supabase" / "templates" / "recovery.html").read_text()
    assert ours["mailer_templates_recovery_content"] == template
    # [auth.third_party.*]: config push does not send it for a hosted project; the program adds the integration.
    assert [i["oidc_issuer_url"] for i in pushed.program_project.third_party_auth.values()] == [
        "https://securetoken.google.com/compared-app"
    ]
    assert pushed.cli_project.third_party_auth == {}
    # Requests of the same shape: one PATCH of the Auth config each.
    assert pushed.cli_fake.count("v1-update-auth-service-config") == 1
    assert pushed.program_fake.count("v1-update-auth-service-config") == 1


# config push sends no [db.pooler] to a hosted project (it says so and skips it); the program's PoolerSettings
# does (docs/supabase.md, "config.toml and the real CLI").
ONLY_OURS = {"db.pooler.pool_mode"}


@pytest.mark.timeout(900)
def test_config_push_and_the_program_leave_the_same_service_settings(pushed: Pushed) -> None:
    """[api], [db.settings], [db.ssl_enforcement], [db.network_restrictions] and [storage], field by field."""
    cli, ours = settings_state(pushed.cli_project), settings_state(pushed.program_project)
    assert differing_fields(cli, ours) == ONLY_OURS, {path: (cli.get(path), ours.get(path)) for path in
                                                       differing_fields(cli, ours)}  # fmt: skip
    assert (cli["db.pooler.pool_mode"], ours["db.pooler.pool_mode"]) == ("transaction", "session")  # the remote's
    # The file moved each group away from a new project's defaults, on both sides; its remote applied.
    changed = {path for path in cli if cli[path] != pushed.service_defaults.get(path)}
    for path in ("api.max_rows", "db.settings.max_connections", "db.settings.track_activity_query_size",
                 "db.ssl_enforcement.enabled", "db.network_restrictions.allowed_cidrs", "storage.fileSizeLimit",
                 "storage.features.s3Protocol.enabled"):  # fmt: skip
        assert path in changed, path
    assert ours["api.max_rows"] == 250 and ours["db.network_restrictions.allowed_cidrs"] == ["198.51.100.0/24"]
    assert ours["storage.fileSizeLimit"] == 5 << 30


def test_the_groups_secrets_are_in_neither_state_nor_outputs(pushed: Pushed) -> None:
    # The CLI's own export and outputs (the Automation API's export_stack() shows secrets).
    exported, outputs = _cli(pushed.engine, "stack", "export"), _cli(pushed.engine, "stack", "output", "--json")
    assert '"supabaseAuthSecrets"' not in outputs
    for api, (_, value) in SECRET_VALUES.items():
        assert value not in exported, f"{api} is in the exported state in plain text"
        assert value not in outputs, f"{api} is in the stack outputs"


def _cli(engine: EngineSettings, *args: str) -> str:
    result = subprocess.run(
        [str(engine.cli.executable), *args, "--stack", "staging", "--non-interactive"],
        cwd=engine.state_dir / "work", env={**os.environ, **engine.cli_env()},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


# One setting of each group, changed in the dashboard behind the program's back.
DRIFT = {
    "auth": ("site_url", "https://phishing.example.net"),
    "auth.sessions": ("sessions_timebox", 1),
    "auth.rate_limit": ("rate_limit_email_sent", 100000),
    "auth.captcha": ("security_captcha_enabled", False),
    "auth.captcha secret": ("security_captcha_secret", "someone-elses-captcha-secret"),
    "auth.email": ("mailer_autoconfirm", True),
    "auth.email.smtp": ("smtp_host", "smtp.attacker.example"),
    "auth.email.smtp secret": ("smtp_pass", "someone-elses-smtp-pass"),
    "auth.email.template": ("mailer_templates_recovery_content", '<a href="https://phishing.example.net">reset</a>'),
    "auth.email.notification": ("mailer_notifications_password_changed_enabled", False),
    "auth.sms": ("sms_provider", "vonage"),
    "auth.sms.twilio secret": ("sms_twilio_auth_token", "someone-elses-token"),
    "auth.mfa": ("mfa_totp_enroll_enabled", False),
    "auth.hook": ("hook_send_email_uri", "https://attacker.example/hook"),
    "auth.hook secret": ("hook_send_email_secrets", "v1,whsec_" + "d" * 32),
    "auth.external": ("external_github_enabled", False),
    "auth.external secret": ("external_google_secret", "someone-elses-google-secret"),
}


@dataclass
class Refreshed:
    settings: dict[str, Any]
    secret_settings: dict[str, Any]
    summary: dict[str, int]


@pytest.fixture(scope="module")
def refreshed(pushed: Pushed) -> Iterator[Refreshed]:
    """Every drift of DRIFT at once, then one `pulumi refresh`: the state the engine kept of the auth settings."""
    expected = dict(pushed.program_project.auth_config)
    for field, value in DRIFT.values():
        pushed.program_project.auth_config[field] = value
    result, _ = run(pushed.stack.refresh)
    outputs = _auth_outputs(pushed.stack)
    yield Refreshed(outputs["settings"], _plain(outputs["secretSettings"]), dict(result.summary.resource_changes or {}))

    # The next up sends the configured values again, and the project is back as the file says.
    _, steps = run(pushed.stack.up)
    assert steps.changed() == {"supabase-auth": "update"}, steps.changed()
    after = pushed.program_project.auth_config
    assert {field: after[field] for field, _ in DRIFT.values()} == {
        field: expected[field] for field, _ in DRIFT.values()
    }


@pytest.mark.timeout(900)
@pytest.mark.parametrize("group", sorted(DRIFT))
def test_refresh_sees_a_setting_of_each_group_changed_behind_our_back(refreshed: Refreshed, group: str) -> None:
    field, value = DRIFT[group]
    assert refreshed.summary.get("update") == 1, refreshed.summary
    if group.endswith(" secret"):
        # Supabase shows only an HMAC of a secret: a changed one is marked, and no value lands in the state.
        assert refreshed.secret_settings[field] == CHANGED_OUTSIDE
    else:
        assert refreshed.settings[field] == value


def _auth_outputs(stack: auto.Stack) -> dict[str, Any]:
    resources = stack.export_stack().deployment["resources"]
    [auth] = [r for r in resources if r["type"].endswith(":AuthSettings")]
    return auth["outputs"]


def _plain(value: Any) -> Any:
    """A secret output as the export shows it with --show-secrets: {<sig>: ..., "plaintext": "<json>"}."""
    import json

    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value
