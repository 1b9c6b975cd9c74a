"""`ops frontend-env`: the VITE_ variables from stack outputs, and refusal of every kind of secret."""

from __future__ import annotations

import base64
import io
import json

import pytest

from ops.frontend_env import SECRET_SIGNATURE, SECRET_SIGNATURE_KEY
from tests.ops.helpers import ops


def jwt(role: str) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'iss': 'supabase', 'ref': 'abc', 'role': role})}.sig"


def sample_outputs(**changes: object) -> dict:
    outputs = {
        "supabaseUrl": "https://abcdefghijklmnop.supabase.co",
        "supabaseAnonKey": jwt("anon"),
        "appName": "AI Super Assistant",
        "appVersion": "1.4.2",
        "environment": "production",
        "featureFlags": {
            "aiChat": True,
            "automation": False,
            "itSupport": True,
            "analytics": True,
            "documentVault": False,
        },
        "storageCdnUrl": "https://cdn.example.com/",
        "databasePassword": "[secret]",  # secret outputs the file does not use are fine
        "appliedMigrations": 4,
    }
    outputs.update(changes)
    return {k: v for k, v in outputs.items() if v is not None}


def run(tmp_path, outputs: dict, *extra: str) -> tuple[int, str]:
    source = tmp_path / "outputs.json"
    source.write_text(json.dumps(outputs))
    return ops("frontend-env", "--outputs", source, "--output", tmp_path / ".env.production", *extra), ""


def read_env(tmp_path) -> dict[str, str]:
    lines = (tmp_path / ".env.production").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_writes_the_guides_variables_from_stack_outputs(tmp_path):
    code, _ = run(tmp_path, sample_outputs())
    assert code == 0
    assert read_env(tmp_path) == {
        "VITE_SUPABASE_URL": "https://abcdefghijklmnop.supabase.co",
        "VITE_SUPABASE_ANON_KEY": jwt("anon"),
        "VITE_APP_NAME": "'AI Super Assistant'",
        "VITE_APP_VERSION": "1.4.2",
        "VITE_APP_ENV": "production",
        "VITE_ENABLE_AI_CHAT": "true",
        "VITE_ENABLE_AUTOMATION": "false",
        "VITE_ENABLE_IT_SUPPORT": "true",
        "VITE_ENABLE_ANALYTICS": "true",
        "VITE_ENABLE_DOCUMENT_VAULT": "false",
        "VITE_CDN_URL": "https://cdn.example.com",
    }


def test_reads_stdin_takes_a_cdn_domain_and_overrides(tmp_path, monkeypatch):
    outputs = sample_outputs(
        storageCdnUrl=None, cdnDomain="d111.cloudfront.net", appVersion=None, supabaseAnonKey="sb_publishable_abc123"
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(outputs)))
    code = ops("frontend-env", "--output", tmp_path / ".env.production", "--app-version", "2.0.0-rc.1")
    assert code == 0
    env = read_env(tmp_path)
    assert env["VITE_CDN_URL"] == "https://d111.cloudfront.net"
    assert env["VITE_APP_VERSION"] == "2.0.0-rc.1"
    assert env["VITE_SUPABASE_ANON_KEY"] == "sb_publishable_abc123"


SECRETS = {
    "service-role JWT as the anon key": {"supabaseAnonKey": jwt("service_role")},
    "service-role JWT in another value": {"storageCdnUrl": jwt("service_role")},
    "secret key": {"supabaseAnonKey": "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"},
    "anon key marked secret (plain form)": {"supabaseAnonKey": "[secret]"},
    "anon key marked secret (engine envelope)": {
        "supabaseAnonKey": {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "value": jwt("anon")}
    },
    "url marked secret": {"supabaseUrl": "[secret]"},
    "feature flags marked secret": {"featureFlags": "[secret]"},
}


@pytest.mark.parametrize("change", SECRETS.values(), ids=SECRETS.keys())
def test_refuses_any_secret_and_writes_nothing(tmp_path, capsys, change):
    target = tmp_path / ".env.production"
    target.write_text("VITE_APP_NAME=previous\n")
    code, _ = run(tmp_path, sample_outputs(**change))
    assert code == 1
    err = capsys.readouterr().err
    assert "secret" in err or "service-role" in err
    assert "sb_secret_N7UND0" not in err and jwt("service_role") not in err, "the secret must not be echoed"
    assert target.read_text() == "VITE_APP_NAME=previous\n", "a refused run must leave the file as it was"


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        (sample_outputs(supabaseUrl=None), "'supabaseUrl' is missing"),
        (sample_outputs(supabaseUrl="http://localhost.evil.example"), "'supabaseUrl' is not an https:// URL"),
        (sample_outputs(environment="prod"), "not one of local, development, preview, staging, production"),
        (sample_outputs(featureFlags={"aiChat": "yes"}), "not a boolean"),
        (sample_outputs(featureFlags={"x\nVITE_SUPABASE_URL=https://evil.example": True}), "is not camelCase"),
        (sample_outputs(featureFlags={"a=b": True}), "is not camelCase"),
        (sample_outputs(supabaseAnonKey=jwt("authenticated")), "role 'authenticated'"),
    ],
)
def test_bad_outputs_are_named(tmp_path, capsys, outputs, expected):
    code, _ = run(tmp_path, outputs)
    assert code == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / ".env.production").exists()


def test_not_json_is_a_clear_error(tmp_path, capsys):
    source = tmp_path / "outputs.json"
    source.write_text("Current stack outputs (2):")
    assert ops("frontend-env", "--outputs", source, "--output", tmp_path / "x") == 1
    assert "pulumi stack output --json" in capsys.readouterr().err


def standard_base64_jwt(role: str) -> str:
    """A service JWT whose payload is padded, standard-alphabet base64 (`+`, `/`, `=`), as some issuers write."""
    for filler in range(200):
        claims = {"iss": "supabase", "role": role, "n": "?" * filler + "~~~"}
        payload = base64.b64encode(json.dumps(claims).encode()).decode()
        if ("+" in payload or "/" in payload) and payload.endswith("="):
            return f"{jwt(role).split('.')[0]}.{payload}.sig"
    raise AssertionError("no filler gives a payload with + or / and padding")


def padded_jwt(role: str) -> str:
    header, _, signature = jwt(role).split(".")
    payload = base64.urlsafe_b64encode(json.dumps({"role": role, "x": "ab"}).encode()).decode()
    assert payload.endswith("="), "the claims were chosen so that the payload needs padding"
    return f"{header}.{payload}.{signature}"


SERVICE = jwt("service_role")
KEY_VARIANTS = {
    "padded payload as the anon key": {"supabaseAnonKey": padded_jwt("service_role")},
    "standard base64 payload as the anon key": {"supabaseAnonKey": standard_base64_jwt("service_role")},
    "service JWT in a CDN URL's query": {"storageCdnUrl": f"https://cdn.example.com/?apikey={SERVICE}"},
    "service JWT percent-encoded in a URL": {
        "storageCdnUrl": "https://cdn.example.com/?apikey=" + SERVICE.replace(".", "%2E")
    },
    "service JWT in a URL path": {"storageCdnUrl": f"https://cdn.example.com/v1.2/{SERVICE}/x"},
    "service JWT in a JSON string": {"appName": json.dumps({"key": SERVICE})},
    "standard base64 service JWT in a JSON string (escaped slashes)": {
        "appName": json.dumps({"key": standard_base64_jwt("service_role")}).replace("/", "\\/")
    },
    "service JWT in the app name": {"appName": f"Assistant {SERVICE}"},
    "service JWT after dotted words": {"appName": f"v1.2.{SERVICE}"},
    "supabase_admin JWT in the version": {"appVersion": f"1.0.0+{jwt('supabase_admin')}"},
    "secret key in a URL": {"storageCdnUrl": "https://cdn.example.com/?k=sb_secret_N7UND0UgjKTVK-Uodkm0Hg"},
    "secret key in the app name": {"appName": "Assistant sb_secret_N7UND0UgjKTVK-Uodkm0Hg"},
    "secret key percent-encoded": {"appName": "Assistant sb%5Fsecret%5FN7UND0UgjKTVK"},
}


@pytest.mark.parametrize("change", KEY_VARIANTS.values(), ids=KEY_VARIANTS.keys())
def test_refuses_key_variants_and_keys_inside_longer_values(tmp_path, capsys, change):
    code, _ = run(tmp_path, sample_outputs(**change))
    assert code == 1, "a privileged key must never reach the frontend's env file"
    err = capsys.readouterr().err
    assert "service-role" in err or "secret key" in err
    assert SERVICE not in err and "sb_secret_N7UND0" not in err, "the secret must not be echoed"
    assert not (tmp_path / ".env.production").exists()


def test_public_values_with_dots_and_base64_are_not_mistaken_for_keys(tmp_path):
    outputs = sample_outputs(
        appName="Assistant v1.2.3 (build.abcd1234.ef)",
        appVersion="1.4.2-rc.1+sha.0a1b2c3d",
        storageCdnUrl=f"https://cdn.example.com/?anon={jwt('anon')}",
    )
    code, _ = run(tmp_path, outputs)
    assert code == 0
    assert read_env(tmp_path)["VITE_APP_VERSION"] == "1.4.2-rc.1+sha.0a1b2c3d"


def test_the_stacks_sentry_dsn_becomes_vite_sentry_dsn_and_a_secret_dsn_is_refused(tmp_path, capsys):
    dsn = "https://abc123@o42.ingest.sentry.io/4501"
    code, _ = run(tmp_path, sample_outputs(frontendSentryDsn=dsn))
    assert code == 0 and read_env(tmp_path)["VITE_SENTRY_DSN"] == dsn
    assert "VITE_SENTRY_DSN" not in (run(tmp_path, sample_outputs())[0] == 0 and read_env(tmp_path))
    (tmp_path / ".env.production").unlink()
    code, _ = run(tmp_path, sample_outputs(frontendSentryDsn="https://abc123:s3cr3t@o42.ingest.sentry.io/4501"))
    assert code == 1 and not (tmp_path / ".env.production").exists()
    err = capsys.readouterr().err
    assert "carries a secret key" in err and "s3cr3t" not in err
