"""URL rules for the config keys that carry a credential or decide where a signed-in user is sent.

- A URL a token travels to (managementApiUrl, projectUrlTemplate, siteUrl) is https; plain http only on loopback
  (a local server in tests and development), where nothing crosses a network.
- A redirect URL pattern (supabaseAuth.redirectUrls) names its scheme and its site literally. Supabase Auth matches
  them as globs (https://supabase.com/docs/guides/auth/redirect-urls): `*` and `?` stop at `.` and `/`, `**`
  does not, so `**` (or a wildcard in the host's registrable part) would let `redirectTo` send a user's tokens to
  any site. Wildcards stay in the path, or in the leftmost label of a host with two literal labels after it
  (`https://*-preview.example.com/**`).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})
# Schemes a browser runs or reads locally instead of navigating to an app.
FORBIDDEN_REDIRECT_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "blob", "about"})
_GLOB_CHARACTERS = re.compile(r"[*?\[\]{}\\!]")
_PATTERN = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/]*)(?P<path>/.*)?$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_url_problem(url: str) -> str | None:
    """Why `url` may not carry a credential, or None when it is https (or http to loopback)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return f"{url!r} is not a URL"
    if not host:
        return f"{url!r} has no host; use https://<host>"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback_host(host):
        return None
    if parts.scheme == "http":
        return (
            f"{url!r} is plain http, so the token sent to it would cross the network in clear; use https:// "
            "(http only for localhost or 127.0.0.1)"
        )
    return f"{url!r} is not an https:// URL"


def redirect_pattern_problem(pattern: str) -> str | None:
    """Why a redirect URL pattern is broader than one site, or None."""
    match = _PATTERN.match(pattern)
    if not match:
        return (
            f"{pattern!r} names no scheme and host; write the full URL, e.g. https://app.example.com/** "
            "(a bare `*` or `**` would let sign-ins redirect anywhere)"
        )
    scheme, authority = match.group("scheme").lower(), match.group("authority")
    if scheme in FORBIDDEN_REDIRECT_SCHEMES:
        return f"{pattern!r}: {scheme}: URLs run in the browser; redirect to an https:// page of the app"
    if "@" in authority:
        return f"{pattern!r} has user info (@) before the host, which hides the real host; remove it"
    host, port = _split_port(authority)
    if port is not None and not port.isdigit():
        return f"{pattern!r} has a wildcard or non-numeric port; name the port (e.g. :3000)"
    if scheme == "http" and not is_loopback_host(host.strip("[]")):
        return (
            f"{pattern!r} is plain http; redirects carry the user's tokens, so use https:// (http only for localhost)"
        )
    if scheme in {"http", "https"}:
        return _host_problem(pattern, host)
    if _GLOB_CHARACTERS.search(authority):
        return f"{pattern!r} has a wildcard in an app scheme's host; name it literally (e.g. {scheme}://callback)"
    return None


def _split_port(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):
        host, _, rest = authority.partition("]")
        return host + "]", rest[1:] if rest.startswith(":") else None
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def _host_problem(pattern: str, host: str) -> str | None:
    if not host:
        return f"{pattern!r} has no host"
    if host.startswith("[") or is_loopback_host(host):
        return None if is_loopback_host(host.strip("[]")) else f"{pattern!r}: name the host, not an IP range"
    labels = host.lower().split(".")
    if "**" in host:
        return f"{pattern!r}: `**` in the host matches any site; keep `**` to the path (https://app.example.com/**)"
    first, rest = labels[0], labels[1:]
    if any(_GLOB_CHARACTERS.search(label) for label in rest) or re.search(r"[?\[\]{}\\!]", first):
        return (
            f"{pattern!r}: only `*` in the host's leftmost label is allowed (https://*.example.com); the rest "
            "of the host must be literal"
        )
    if "*" in first and len(rest) < 2:
        return f"{pattern!r}: `*` before a bare domain or TLD matches other people's sites; name the domain"
    bad = [label for label in rest if not _LABEL.match(label)]
    if bad or not rest:
        return f"{pattern!r}: {host!r} is not a host name"
    return None
