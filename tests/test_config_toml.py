"""config.toml as an input (stackconfig/config_toml): remotes, env() references, conversions, and refusals
that name the key. What the real CLI does with the same file is checked in
tests/engine/test_config_push_comparison.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from providers.supabase.auth_fields import PLAIN_FIELDS, SECRET_FIELDS
from stackconfig import ConfigError, validate_config
from stackconfig.config_toml import ConfigTomlError, read_config
from stackconfig.paths import PROJECT_ROOT

REF = "abcdefghijklmnopqrst"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "supabase").mkdir(exist_ok=True)
    path = tmp_path / "supabase" / "config.toml"
    path.write_text(text)
    return path


def auth(path: Path | None, ref: str | None = REF, **kwargs: object) -> dict:
    return read_config(path, project_ref=ref, **kwargs)["auth"].settings  # type: ignore[arg-type]


def test_the_remote_whose_project_id_is_the_ref_is_laid_over_the_base(tmp_path):
    path = write(
        tmp_path,
        f"""
[auth]
site_url = "https://example.com"
jwt_expiry = 3600
[auth.rate_limit]
email_sent = 5
sms_sent = 6
[remotes.other]
project_id = "zzzzzzzzzzzzzzzzzzzz"
[remotes.other.auth]
site_url = "https://other.example.com"
[remotes.staging]
project_id = "{REF}"
[remotes.staging.auth]
jwt_expiry = 1800
[remotes.staging.auth.rate_limit]
email_sent = 50
""",
    )
    settings = auth(path)
    assert settings["site_url"] == "https://example.com"  # not the other remote's
    assert settings["jwt_exp"] == 1800
    assert (settings["rate_limit_email_sent"], settings["rate_limit_sms_sent"]) == (50, 6)  # merged key by key
    # No remote for this ref (or no ref yet): the base alone, as the CLI does.
    assert auth(path, ref="yyyyyyyyyyyyyyyyyyyy")["jwt_exp"] == 3600
    assert auth(path, ref=None)["rate_limit_email_sent"] == 5


def test_two_remotes_for_one_project_are_refused(tmp_path):
    path = write(tmp_path, f'[remotes.a]\nproject_id = "{REF}"\n[remotes.b]\nproject_id = "{REF}"\n')
    with pytest.raises(ConfigTomlError, match=re.escape("remotes.b: has the same project_id as remotes.a")):
        auth(path)


def test_env_references_are_read_from_the_environment_and_an_unset_one_is_refused(tmp_path):
    path = write(tmp_path, '[auth]\nsite_url = "env(SITE)"\nadditional_redirect_urls = ["env(CALLBACK)"]\n')
    settings = auth(path, env={"SITE": "https://a.example.com", "CALLBACK": "https://a.example.com/cb"})
    assert settings["site_url"] == "https://a.example.com"
    assert settings["uri_allow_list"] == "https://a.example.com/cb"
    with pytest.raises(ConfigTomlError, match=r"auth.site_url: refers to env\(SITE\), which is not set"):
        auth(path, env={"CALLBACK": "x"})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[studio]\nport = 54323\n", "studio"),
        ("[auth]\njwt_issuer = 'x'\n", "auth.jwt_issuer"),
        ("[auth.email]\nenable_signups = true\n", "auth.email.enable_signups"),
        ("[auth.third_party.okta]\nenabled = true\n", "auth.third_party.okta"),
        ("[auth.external.myspace]\nenabled = true\n", "auth.external.myspace"),
        ("[auth.hook.after_lunch]\nenabled = true\n", "auth.hook.after_lunch"),
        ("[auth.email.template.welcome]\nsubject = 'hi'\n", "auth.email.template.welcome"),
        ("[auth.mfa.totp]\nenrol_enabled = true\n", "auth.mfa.totp.enrol_enabled"),
    ],
)
def test_anything_the_program_does_not_manage_is_refused_by_name(tmp_path, text, key):
    with pytest.raises(ConfigTomlError, match=re.escape(f"config.toml {key}: ")):
        auth(write(tmp_path, text))


def test_a_secret_written_in_the_file_is_refused_pointing_to_the_pulumi_secret(tmp_path):
    path = write(tmp_path, '[auth.external.github]\nenabled = true\nclient_id = "c"\nsecret = "gh-secret-value"\n')
    with pytest.raises(ConfigTomlError) as refused:
        auth(path)
    assert "supabaseAuthSecrets.external_github_secret" in str(refused.value)
    assert "gh-secret-value" not in str(refused.value)


def test_conversions_match_the_api_fields(tmp_path):
    (tmp_path / "supabase" / "templates").mkdir(parents=True)
    (tmp_path / "supabase" / "templates" / "recovery.html").write_text("<p>{{ .ConfirmationURL }}</p>")
    path = write(
        tmp_path,
        """
[auth]
enable_signup = false
password_requirements = "letters_digits"
[auth.sessions]
timebox = "1h30m"
[auth.oauth_server]
enabled = true
authorization_url_path = "/oauth/consent"
[auth.web3.solana]
enabled = true
[auth.email]
enable_confirmations = false
max_frequency = "1m30s"
[auth.email.smtp]
host = "smtp.example.com"
port = 465
[auth.email.template.recovery]
content_path = "./supabase/templates/recovery.html"
[auth.sms]
test_otp = { 4152127777 = "123456" }
[auth.sms.textlocal]
enabled = false
sender = "x"
api_key = "env(NOT_NEEDED_WHEN_OFF)"
[auth.sms.twilio]
enabled = true
account_sid = "AC1"
[auth.sms.vonage]
enabled = false
from = "x"
[auth.hook.send_sms]
enabled = false
uri = "https://example.com/hook"
secrets = "env(NOT_NEEDED_WHEN_OFF)"
""",
    )
    fields = read_config(path, project_ref=REF)["auth"]
    settings = fields.settings
    assert settings["disable_signup"] is True and settings["mailer_autoconfirm"] is True
    assert settings["password_required_characters"] == "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789"
    assert settings["sessions_timebox"] == 1.5 and settings["smtp_max_frequency"] == 90
    assert settings["smtp_port"] == "465"
    assert settings["oauth_server_enabled"] is True and settings["oauth_server_authorization_path"] == "/oauth/consent"
    assert settings["external_web3_solana_enabled"] is True
    assert settings["mailer_templates_recovery_content"] == "<p>{{ .ConfirmationURL }}</p>"
    assert settings["sms_test_otp"] == "4152127777=123456"
    assert settings["sms_provider"] == "twilio" and "sms_vonage_from" not in settings
    # A hook switched off sends only its switch; its secret is not needed.
    assert settings["hook_send_sms_enabled"] is False and "hook_send_sms_uri" not in settings
    assert fields.secrets == {}
    assert set(settings) <= set(PLAIN_FIELDS)


@pytest.mark.parametrize(
    ("table", "issuer"),
    [
        ('firebase]\nproject_id = "my-app"', "https://securetoken.google.com/my-app"),
        ('auth0]\ntenant = "acme"\ntenant_region = "eu"', "https://acme.eu.auth0.com"),
        ('auth0]\ntenant = "acme"', "https://acme.auth0.com"),
        ('aws_cognito]\nuser_pool_id = "eu-west-1_Ab"\nuser_pool_region = "eu-west-1"',
         "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab"),
        ('clerk]\ndomain = "clerk.example.com"', "https://clerk.example.com"),
        ('workos]\nissuer_url = "https://api.workos.com/user_management/client_1"',
         "https://api.workos.com/user_management/client_1"),
    ],
)  # fmt: skip
def test_a_third_party_issuer_is_named_as_the_cli_names_it(tmp_path, table, issuer):
    path = write(tmp_path, f"[auth.third_party.{table}\nenabled = true\n")
    assert read_config(path, project_ref=REF)["auth_third_party"].settings == {"oidc_issuer_url": issuer}


def test_two_third_party_issuers_or_one_without_its_keys_are_refused(tmp_path):
    both = '[auth.third_party.clerk]\nenabled = true\ndomain = "c"\n[auth.third_party.firebase]\nenabled = true\nproject_id = "p"\n'
    with pytest.raises(ConfigTomlError, match="clerk and firebase are both enabled"):
        auth(write(tmp_path, both))
    with pytest.raises(ConfigTomlError, match=re.escape("auth.third_party.aws_cognito.user_pool_region: is required")):
        auth(write(tmp_path, '[auth.third_party.aws_cognito]\nenabled = true\nuser_pool_id = "x"\n'))


def test_smtp_switched_off_empties_the_host_as_the_cli_does(tmp_path):
    path = write(tmp_path, '[auth.email.smtp]\nenabled = false\nhost = "h"\npass = "env(UNSET_WHEN_OFF)"\n')
    assert auth(path) == {"smtp_host": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[auth.email]\nmax_frequency = "5 minutes"\n', "auth.email.max_frequency: '5 minutes' is not a duration"),
        ("[auth]\njwt_expiry = '3600'\n", "auth.jwt_expiry: must be a whole number"),
        ('[auth]\npassword_requirements = "strong"\n', "auth.password_requirements: must be one of"),
        ("[auth.sms.twilio]\nenabled = true\n[auth.sms.vonage]\nenabled = true\n", "twilio and vonage are both"),
        ('[auth.email.template.invite]\ncontent_path = "./nowhere.html"\n', "./nowhere.html does not exist"),
        ('[auth.hook.custom_access_token]\nenabled = true\nuri = "ftp://x"\n', "pg-functions://postgres/"),
        ("[auth]\nenabled = false\n", "auth.enabled: must be true"),
    ],
)
def test_bad_values_are_refused_naming_the_key_and_the_fix(tmp_path, text, message):
    with pytest.raises(ConfigTomlError, match=re.escape(message)):
        auth(write(tmp_path, text))


def test_the_repositorys_config_toml_sets_every_group_with_secrets_only_as_env_references():
    fields = read_config(PROJECT_ROOT / "supabase" / "config.toml", project_ref=None)["auth"]
    assert set(fields.settings) <= set(PLAIN_FIELDS) and set(fields.secrets) <= set(SECRET_FIELDS)
    prefixes = ("site_url", "sessions_", "rate_limit_", "security_captcha_", "smtp_", "mailer_templates_",
                "mailer_notifications_", "sms_", "mfa_", "hook_", "external_")  # fmt: skip
    for prefix in prefixes:
        assert any(field.startswith(prefix) for field in fields.settings), prefix


STACK = {"environment": "staging", "supabase": {"configToml": "supabase/config.toml"}}
ALL_SECRETS = {api: f"value-of-{api}" for api in read_config(PROJECT_ROOT / "supabase" / "config.toml",
               project_ref=None)["auth"].secrets}  # fmt: skip


def problems_of(raw: dict) -> str:
    with pytest.raises(ConfigError) as refused:
        validate_config(raw, secret_keys={"supabaseAuthSecrets"}, stack_file="Pulumi.staging.yaml")
    return str(refused.value)


def test_the_stack_names_each_missing_pulumi_secret_of_the_file():
    message = problems_of(STACK)
    for api in ALL_SECRETS:
        assert f"supabaseAuthSecrets.{api}" in message


def test_a_stack_with_the_file_and_its_secrets_is_valid_and_supabase_config_overrides_the_file():
    from stackconfig.supabase_auth_groups import auth_groups, secret_values

    raw = {
        **STACK,
        "supabaseAuthSecrets": ALL_SECRETS,
        "supabaseConfig": {"auth": {"mfa": {"max_enrolled_factors": 3}}},
    }
    config = validate_config(raw, secret_keys={"supabaseAuthSecrets"}, stack_file="Pulumi.staging.yaml")
    fields = auth_groups(config)
    assert fields.settings["mfa_max_enrolled_factors"] == 3  # the file says 10
    assert {api: value.get_secret_value() for api, value in secret_values(config, fields).items()} == ALL_SECRETS


def test_supabase_auth_beside_the_file_and_unknown_secret_names_are_refused():
    message = problems_of(
        {
            **STACK,
            "supabaseAuthSecrets": {**ALL_SECRETS, "github_secret": "x"},
            "supabaseAuth": {"jwtExpirySeconds": 60},
        }
    )
    assert "supabaseAuthSecrets.github_secret: not a secret field" in message
    assert "supabaseAuth: with supabase.configToml the file holds the Auth settings" in message


def test_supabase_config_alone_sets_groups_over_the_stack_s_supabase_auth():
    config = validate_config(
        {"supabaseConfig": {"auth": {"rate_limit": {"email_sent": 7}}}}, stack_file="Pulumi.staging.yaml"
    )
    from stackconfig.supabase_auth_groups import auth_groups

    assert auth_groups(config).settings == {"rate_limit_email_sent": 7}


# The service groups: [api], [db] (settings, ssl_enforcement, network_restrictions), [db.pooler], [storage].
SERVICES_TOML = """
[api]
enabled = true
schemas = ["public", "graphql_public", "reporting"]
extra_search_path = ["public", "extensions"]
max_rows = 500
[db.settings]
max_connections = 120
statement_timeout = "env(STATEMENT_TIMEOUT)"
[db.ssl_enforcement]
enabled = true
[db.network_restrictions]
enabled = true
allowed_cidrs = ["198.51.100.0/24"]
allowed_cidrs_v6 = ["2001:db8::/32"]
[db.pooler]
enabled = true
pool_mode = "session"
default_pool_size = 25
[storage]
enabled = true
file_size_limit = "50MiB"
[storage.image_transformation]
enabled = false
[storage.s3_protocol]
enabled = false
[remotes.staging]
project_id = "{ref}"
[remotes.staging.api]
max_rows = 250
[remotes.staging.db.settings]
work_mem = "8MB"
[remotes.staging.storage]
file_size_limit = "env(UPLOAD_LIMIT)"
"""


def test_the_service_groups_are_read_with_their_remote_and_env_references(tmp_path):
    path = write(tmp_path, SERVICES_TOML.format(ref=REF))
    groups = read_config(path, project_ref=REF, env={"STATEMENT_TIMEOUT": "30s", "UPLOAD_LIMIT": "1GiB"})
    assert groups["api"].settings == {
        "schemas": ["public", "graphql_public", "reporting"],
        "extra_search_path": ["public", "extensions"],
        "max_rows": 250,  # the remote's
    }
    assert groups["database"].settings == {
        "postgres": {"max_connections": 120, "statement_timeout": "30s", "work_mem": "8MB"},
        "ssl_enforced": True,
        "allowed_cidrs": ["198.51.100.0/24"],
        "allowed_cidrs_v6": ["2001:db8::/32"],
    }
    assert groups["pooler"].settings == {"pool_mode": "session", "default_pool_size": 25}
    assert groups["storage"].settings == {
        "file_size_limit": "1GiB",
        "image_transformation": False,
        "s3_protocol": False,
    }


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[api]\nport = 54321\n", "api.port"),
        ("[db]\nmajor_version = 17\n", "db.major_version"),
        ("[db.pooler]\nmax_client_conn = 100\n", "db.pooler.max_client_conn"),
        ("[db.network_restrictions]\nallowed_cidr = []\n", "db.network_restrictions.allowed_cidr"),
        ("[storage.buckets.avatars]\npublic = true\n", "storage.buckets"),
        ("[storage.image_transformation]\nenabled = true\nquality = 80\n", "storage.image_transformation.quality"),
        ("[storage]\nenabled = false\n", "storage.enabled"),
        ("[db.network_restrictions]\nenabled = false\n", "db.network_restrictions.enabled"),
    ],
)
def test_a_service_key_the_program_does_not_manage_is_refused_by_name(tmp_path, text, key):
    with pytest.raises(ConfigTomlError, match=re.escape(f"config.toml {key}: ")):
        read_config(write(tmp_path, text), project_ref=REF)


def test_the_file_s_service_groups_reach_the_stack_and_its_own_keys_override_them(tmp_path, monkeypatch):
    from stackconfig.supabase_service_groups import service_groups

    path = write(tmp_path, SERVICES_TOML.format(ref=REF))
    raw = {
        "supabase": {"configToml": str(path), "projectRef": REF},
        "supabaseConfig": {"db": {"pooler": {"default_pool_size": 40}}},  # the file's shape, over the file
        "supabaseApi": {"maxRows": 2000},  # a stack key's field set away from its default, over both
    }
    monkeypatch.setenv("STATEMENT_TIMEOUT", "30s")
    monkeypatch.setenv("UPLOAD_LIMIT", "6GiB")  # above the largest bucket's 5GiB
    groups = service_groups(validate_config(raw, stack_file="Pulumi.staging.yaml"))
    assert groups.api.schemas == ("public", "graphql_public", "reporting") and groups.api.max_rows == 2000
    assert groups.database.postgres["statement_timeout"] == "30s" and groups.database.ssl_enforced is True
    assert groups.database.allowed_cidrs == ("198.51.100.0/24",)
    assert (groups.pooler.pool_mode, groups.pooler.default_pool_size) == ("session", 40)
    assert (int(groups.storage.file_size_limit or 0), groups.storage.image_transformation) == (6 << 30, False)


def test_a_bad_service_value_in_the_file_gets_the_stack_key_s_check(tmp_path):
    path = write(tmp_path, '[api]\nschemas = ["public", "auth"]\n')
    message = problems_of({"supabase": {"configToml": str(path)}})
    assert "config.toml [api]" in message and "auth: Supabase's own schema" in message


def test_the_file_s_upload_limit_may_not_refuse_a_bucket_s_uploads(tmp_path):
    path = write(tmp_path, '[storage]\nfile_size_limit = "1MiB"\n')
    message = problems_of({"supabase": {"configToml": str(path)}})
    assert "config.toml [storage] file_size_limit: 1048576 bytes is below a bucket's fileSizeLimit" in message


def test_the_repositorys_config_toml_sets_the_service_groups_as_the_committed_stacks_do():
    groups = read_config(PROJECT_ROOT / "supabase" / "config.toml", project_ref=None)
    assert groups["api"].settings["max_rows"] == 1000
    assert groups["database"].settings["postgres"] == {"max_connections": 100, "track_activity_query_size": "2048"}
    assert groups["pooler"].settings == {"pool_mode": "transaction"}
    assert groups["storage"].settings["file_size_limit"] == "5GiB"
