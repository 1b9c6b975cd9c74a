"""The frontend's `.env.production` (guide 000 section 3.1) from the stack's outputs.

Everything in that file ends up in a public JavaScript bundle, so it refuses (and writes nothing) when a
value it would write is a secret: an output marked secret (`pulumi stack output --json` prints "[secret]"
without --show-secrets, and the engine's wire form is an object with Pulumi's secret signature key), a
JWT whose `role` claim is `service_role`, or a Supabase secret key (`sb_secret_...`).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Pulumi's marker for a secret value in the engine's JSON (sdk/go/common/resource/properties.go).
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
PLAIN_SECRET = "[secret]"
SECRET_KEY_PREFIX = "sb_secret_"
PRIVILEGED_JWT_ROLES = frozenset({"service_role", "supabase_admin"})
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$")
_FLAG = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
ENVIRONMENTS = ("local", "staging", "production")


class FrontendEnvError(ValueError):
    """Why the file was not written; names the output and the fix, never the value."""


@dataclass(frozen=True)
class Overrides:
    app_name: str | None = None
    app_version: str | None = None
    app_env: str | None = None


def parse_outputs(text: str, source: str) -> dict[str, Any]:
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FrontendEnvError(f"{source} is not JSON ({exc.msg} at line {exc.lineno}); pass the output of "
                               "`pulumi stack output --json`") from None
    if not isinstance(outputs, dict):
        raise FrontendEnvError(f"{source} is not a JSON object of stack outputs; pass the output of "
                               "`pulumi stack output --json`")
    return outputs


def build_env(outputs: Mapping[str, Any], overrides: Overrides = Overrides()) -> list[tuple[str, str]]:
    """The variables, in the guide's order; raises FrontendEnvError before anything could be written."""
    url = _required(outputs, "supabaseUrl")
    anon = _required(outputs, "supabaseAnonKey")
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise FrontendEnvError("stack output 'supabaseUrl' is not an https:// URL; check the stack's Supabase "
                               "project output")
    role = _jwt_role(anon)
    if role is not None and role != "anon":
        raise FrontendEnvError(f"stack output 'supabaseAnonKey' is a JWT with role {role!r}, not 'anon'; export "
                               "the project's anon (publishable) key, never the service-role key")
    pairs = [
        ("VITE_SUPABASE_URL", url),
        ("VITE_SUPABASE_ANON_KEY", anon),
        ("VITE_APP_NAME", overrides.app_name or _required(outputs, "appName", "--app-name")),
        ("VITE_APP_VERSION", overrides.app_version or _required(outputs, "appVersion", "--app-version")),
        ("VITE_APP_ENV", overrides.app_env or _required(outputs, "environment", "--app-env")),
    ]
    if pairs[-1][1] not in ENVIRONMENTS:
        raise FrontendEnvError(f"environment {pairs[-1][1]!r} is not one of {', '.join(ENVIRONMENTS)}")
    pairs += _feature_flags(outputs)
    cdn = _cdn_url(outputs)
    if cdn:
        pairs.append(("VITE_CDN_URL", cdn))
    for name, value in pairs:
        _refuse_secret(name, value)
    return pairs


def render(pairs: list[tuple[str, str]]) -> str:
    lines = ["# Written by `python -m ops frontend-env` from the stack's outputs. Public values only:",
             "# everything here is compiled into the browser bundle."]
    for name, value in pairs:
        if "\n" in value or "\r" in value:
            raise FrontendEnvError(f"{name} would contain a line break; fix the stack output it comes from")
        needs_quotes = any(char in value for char in " #\"'$`\\") or value != value.strip()
        quoted = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if needs_quotes else value
        lines.append(f"{name}={quoted}")
    return "\n".join(lines) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """Replace the file in one rename: a reader never sees half a file, a failure leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _required(outputs: Mapping[str, Any], name: str, option: str | None = None) -> str:
    if name not in outputs or outputs[name] is None:
        fix = f" or pass {option}" if option else ""
        raise FrontendEnvError(f"stack output {name!r} is missing; run `pulumi up` on the stack (the program "
                               f"exports it){fix}")
    value = outputs[name]
    if _marked_secret(value):
        raise FrontendEnvError(f"stack output {name!r} is marked secret, so it must not reach the browser; "
                               "the frontend takes only public values (export it without Output.secret if it "
                               "really is public)")
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if not isinstance(value, str) or not value.strip():
        raise FrontendEnvError(f"stack output {name!r} is not a non-empty string")
    return value.strip()


def _feature_flags(outputs: Mapping[str, Any]) -> list[tuple[str, str]]:
    flags = outputs.get("featureFlags")
    if flags is None:
        return []
    if _marked_secret(flags):
        raise FrontendEnvError("stack output 'featureFlags' is marked secret; feature flags are public values")
    if not isinstance(flags, dict):
        raise FrontendEnvError("stack output 'featureFlags' is not an object of booleans "
                               "(e.g. {\"aiChat\": true})")
    pairs: list[tuple[str, str]] = []
    for flag, enabled in flags.items():
        if _marked_secret(enabled) or not isinstance(enabled, bool):
            raise FrontendEnvError(f"feature flag {flag!r} in stack output 'featureFlags' is not a boolean")
        pairs.append((f"VITE_ENABLE_{_FLAG.sub('_', str(flag)).upper()}", "true" if enabled else "false"))
    return pairs


def _cdn_url(outputs: Mapping[str, Any]) -> str | None:
    if outputs.get("storageCdnUrl") is not None:
        return _required(outputs, "storageCdnUrl").rstrip("/")
    if outputs.get("cdnDomain") is not None:
        domain = _required(outputs, "cdnDomain")
        return domain.rstrip("/") if domain.startswith("https://") else f"https://{domain.rstrip('/')}"
    return None


def _marked_secret(value: Any) -> bool:
    if value == PLAIN_SECRET:
        return True
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE


def _refuse_secret(name: str, value: str) -> None:
    if value.startswith(SECRET_KEY_PREFIX):
        raise FrontendEnvError(f"{name} would be a Supabase secret key (sb_secret_...); the frontend takes the "
                               "publishable key (sb_publishable_...) or the anon JWT. Nothing was written")
    if _jwt_role(value) in PRIVILEGED_JWT_ROLES:
        raise FrontendEnvError(f"{name} would be a service-role JWT, which bypasses row-level security; the "
                               "frontend takes the anon key. Nothing was written")


def _jwt_role(token: str) -> str | None:
    match = _JWT.match(token.strip())
    if not match:
        return None
    payload = match.group(1)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    role = claims.get("role") if isinstance(claims, dict) else None
    return str(role) if role is not None else None
