"""The frontend's `.env.production` (guide 000 section 3.1) from the stack's outputs.

Everything in that file ends up in a public JavaScript bundle, so it refuses (and writes nothing) when a
value it would write is a secret: an output marked secret (`pulumi stack output --json` prints "[secret]"
without --show-secrets, and the engine's wire form is an object with Pulumi's secret signature key), a
JWT whose `role` claim is `service_role`, a Supabase secret key (`sb_secret_...`) or a Stripe secret, restricted
or signing key (`sk_...`, `rk_...`, `whsec_...`), anywhere inside any value
(a URL's query, a JSON string, the app name) and however its payload is base64-encoded.

Vite reads the file with dotenv and then expands `$VAR` and `${VAR}` from the build machine's environment
(dotenv-expand, inside every quoting style), so every `$` is written escaped and a value is quoted in the style
that dotenv returns verbatim: the file gives back exactly the values it was given, and nothing else.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import tempfile
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackconfig.stripe import publishable_key_problem
from stackconfig.urls import insecure_url_problem

# Pulumi's marker for a secret value in the engine's JSON (sdk/go/common/resource/properties.go).
SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"
PLAIN_SECRET = "[secret]"
SECRET_KEY_PREFIX = "sb_secret_"
PRIVILEGED_JWT_ROLES = frozenset({"service_role", "supabase_admin"})
# Base64 in any flavour: URL-safe or standard alphabet, padded or not.
_B64 = r"[A-Za-z0-9_\-+/]+={0,2}"
_JWT = re.compile(rf"{_B64}\.({_B64})\.[A-Za-z0-9_\-+/=]*")
# A JWT's payload sits between two dots wherever the token is embedded (a URL, a JSON string, a sentence); the
# lookarounds leave the dots unconsumed, so every dot-delimited segment of a longer text is examined.
_DOTTED_SEGMENT = re.compile(rf"(?<=\.)({_B64})(?=\.)")
_SECRET_KEY_INSIDE = re.compile(re.escape(SECRET_KEY_PREFIX), re.IGNORECASE)
# Stripe's secret, restricted and webhook signing keys, wherever they appear inside a value.
_STRIPE_SECRET_INSIDE = re.compile(r"(?<![A-Za-z0-9])(sk|rk)_(live|test)_[A-Za-z0-9]|whsec_[A-Za-z0-9]")
# Written bare: nothing dotenv strips, splits or comments out, and nothing dotenv-expand reads.
_BARE = re.compile(r"^[A-Za-z0-9_.,:/@%+=-]*$")
_FLAG = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_FLAG_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
ENVIRONMENTS = ("local", "development", "preview", "staging", "production")


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
        raise FrontendEnvError(
            f"{source} is not JSON ({exc.msg} at line {exc.lineno}); pass the output of `pulumi stack output --json`"
        ) from None
    if not isinstance(outputs, dict):
        raise FrontendEnvError(
            f"{source} is not a JSON object of stack outputs; pass the output of `pulumi stack output --json`"
        )
    return outputs


def build_env(outputs: Mapping[str, Any], overrides: Overrides = Overrides()) -> list[tuple[str, str]]:
    """The variables, in the guide's order; raises FrontendEnvError before anything could be written."""
    url = _required(outputs, "supabaseUrl")
    anon = _required(outputs, "supabaseAnonKey")
    if insecure_url_problem(url):  # a prefix test would pass http://localhost.evil.example
        raise FrontendEnvError(
            "stack output 'supabaseUrl' is not an https:// URL; check the stack's Supabase project output"
        )
    role = _jwt_role(anon)
    if role is not None and role != "anon":
        raise FrontendEnvError(
            f"stack output 'supabaseAnonKey' is a JWT with role {role!r}, not 'anon'; export "
            "the project's anon (publishable) key, never the service-role key"
        )
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
    if outputs.get("frontendSentryDsn") is not None:
        pairs.append(("VITE_SENTRY_DSN", _browser_dsn(_required(outputs, "frontendSentryDsn"))))
    stripe_key = _stripe_publishable_key(outputs)
    if stripe_key:
        pairs.append(("VITE_STRIPE_PUBLISHABLE_KEY", stripe_key))
    for name, value in pairs:
        _refuse_secret(name, value)
    return pairs


def render(pairs: list[tuple[str, str]]) -> str:
    lines = [
        "# Written by `python -m ops frontend-env` from the stack's outputs. Public values only:",
        "# everything here is compiled into the browser bundle.",
    ]
    for name, value in pairs:
        lines.append(f"{name}={dotenv_literal(name, value)}")
    return "\n".join(lines) + "\n"


def dotenv_literal(name: str, value: str) -> str:
    """`value` as Vite's loadEnv (dotenv, then dotenv-expand) reads it back unchanged.

    dotenv keeps single-quoted and backtick-quoted text as it is, but turns `\\n` into a line break inside
    double quotes and has no escape for a quote of the same kind inside; dotenv-expand then expands `$` in every
    style and turns `\\$` back into `$`. So: `$` becomes `\\$`, and the quote is one the value does not contain.
    """
    if "\n" in value or "\r" in value:
        raise FrontendEnvError(f"{name} would contain a line break; fix the stack output it comes from")
    escaped = value.replace("$", "\\$")
    if _BARE.match(value):
        return escaped
    if "'" not in value:
        return f"'{escaped}'"
    if "`" not in value:
        return f"`{escaped}`"
    if '"' not in value and "\\n" not in value and "\\r" not in value:
        return f'"{escaped}"'
    raise FrontendEnvError(
        f"{name} holds every quote character (' ` \"); a .env file cannot carry it unchanged, "
        "so shorten the stack output it comes from"
    )


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
        raise FrontendEnvError(
            f"stack output {name!r} is missing; run `pulumi up` on the stack (the program exports it){fix}"
        )
    value = outputs[name]
    if _marked_secret(value):
        raise FrontendEnvError(
            f"stack output {name!r} is marked secret, so it must not reach the browser; "
            "the frontend takes only public values (export it without Output.secret if it "
            "really is public)"
        )
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
        raise FrontendEnvError("stack output 'featureFlags' is not an object of booleans (e.g. {\"aiChat\": true})")
    pairs: list[tuple[str, str]] = []
    for flag, enabled in flags.items():
        # The name becomes part of a variable name: a line break or `=` in it would write a line of its own.
        if not _FLAG_NAME.match(str(flag)):
            raise FrontendEnvError(
                f"feature flag name {str(flag)[:40]!r} in stack output 'featureFlags' is not "
                "camelCase letters and digits (e.g. aiChat)"
            )
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


def _browser_dsn(dsn: str) -> str:
    """A Sentry DSN is public (its key only sends events), but the legacy form `key:secret@` carries a secret."""
    parts = urllib.parse.urlsplit(dsn)
    if parts.scheme != "https" or not parts.username or not parts.hostname or not parts.path.strip("/"):
        raise FrontendEnvError(
            "stack output 'frontendSentryDsn' is not a Sentry DSN "
            "(https://<public key>@<host>/<project id>); check the frontendSentryDsn config key"
        )
    if parts.password:
        raise FrontendEnvError(
            "stack output 'frontendSentryDsn' carries a secret key (key:secret@); use the "
            "project's current DSN, which has the public key only. Nothing was written"
        )
    return dsn


def _stripe_publishable_key(outputs: Mapping[str, Any]) -> str | None:
    if outputs.get("stripePublishableKey") is None:
        return None
    key = _required(outputs, "stripePublishableKey")
    problem = publishable_key_problem(key)
    if problem:
        raise FrontendEnvError(f"stack output 'stripePublishableKey' {problem}. Nothing was written")
    return key


def _marked_secret(value: Any) -> bool:
    if value == PLAIN_SECRET:
        return True
    return isinstance(value, dict) and value.get(SECRET_SIGNATURE_KEY) == SECRET_SIGNATURE


def _refuse_secret(name: str, value: str) -> None:
    for text in _readings(value):
        if _SECRET_KEY_INSIDE.search(text):
            raise FrontendEnvError(
                f"{name} would hold a Supabase secret key (sb_secret_...); the frontend takes "
                "the publishable key (sb_publishable_...) or the anon JWT. Nothing was written"
            )
        if _STRIPE_SECRET_INSIDE.search(text):
            raise FrontendEnvError(
                f"{name} would hold a Stripe secret, restricted or signing key; the frontend "
                "takes the publishable key (pk_...) only. Nothing was written"
            )
        if any(_payload_role(match.group(1)) in PRIVILEGED_JWT_ROLES for match in _DOTTED_SEGMENT.finditer(text)):
            raise FrontendEnvError(
                f"{name} would hold a service-role JWT, which bypasses row-level security; the "
                "frontend takes the anon key. Nothing was written"
            )


def _readings(value: str) -> Iterator[str]:
    """The value as written, URL-decoded (a key in a query string) and JSON-unescaped (`\\/` in a JSON string)."""
    yield value
    yield urllib.parse.unquote_plus(value)
    yield urllib.parse.unquote(value).replace("\\/", "/")


def _jwt_role(token: str) -> str | None:
    """The role claim of a value that is one JWT (any base64 flavour), else None."""
    match = _JWT.fullmatch(token.strip())
    return _payload_role(match.group(1)) if match else None


def _payload_role(payload: str) -> str | None:
    # Standard and URL-safe base64 differ only in two characters; padding may be present, absent or wrong.
    normalized = payload.rstrip("=").replace("+", "-").replace("/", "_")
    try:
        claims = json.loads(base64.urlsafe_b64decode(normalized + "=" * (-len(normalized) % 4)))
    except (binascii.Error, ValueError):
        return None
    role = claims.get("role") if isinstance(claims, dict) else None
    return str(role) if role is not None else None
