"""The post-deployment checks of guide 000 section 6.5, as a deploy job runs them after publishing:
the home page, client-side routes served through the SPA fallback, the assets the page names, and the
health-check function. Each check is retried for a while: a just-deployed function starts cold, and a new
distribution or invalidation takes a minute to reach every edge."""

from __future__ import annotations

import functools
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_ROUTES = ("/ai-chat", "/pricing")  # the guide's examples of client-side routes
_ASSET = re.compile(r"""(?:src|href)=["'](/assets/[^"'?#]+)""")
USER_AGENT = "ai-platform-ops-check-site"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str


def fetch(url: str, timeout: float = 10.0) -> Answer:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return Answer(0, {}, str(getattr(exc, "reason", exc)).encode())


def check_site(
    frontend_url: str,
    health_url: str | None,
    routes: tuple[str, ...] = DEFAULT_ROUTES,
    *,
    attempts: int = 5,
    wait_seconds: float = 10.0,
    get: Callable[[str], Answer] = fetch,
    sleep: Callable[[float], None] = time.sleep,
) -> list[CheckResult]:
    base = frontend_url.rstrip("/")

    def retried(check: Callable[[], CheckResult]) -> CheckResult:
        result = check()
        for _ in range(attempts - 1):
            if result.ok:
                break
            sleep(wait_seconds)
            result = check()
        return result

    pages: list[Answer] = []

    def home_page() -> CheckResult:
        pages.append(get(f"{base}/"))
        return _home(pages[-1])

    def asset_check(path: str) -> CheckResult:
        return _asset(path, get(f"{base}{path}"))

    def route_check(route: str, index: bytes) -> CheckResult:
        return _route(route, get(f"{base}{route}"), index)

    results = [retried(home_page)]
    if results[0].ok:
        index = pages[-1].body
        for asset in sorted(set(_ASSET.findall(index.decode(errors="replace")))):
            results.append(retried(functools.partial(asset_check, asset)))
        for route in routes:
            results.append(retried(functools.partial(route_check, route, index)))
    if health_url:
        results.append(retried(lambda: _health(get(health_url))))
    return results


def _home(answer: Answer) -> CheckResult:
    if answer.status != 200:
        return CheckResult("home page", False, f"{_status(answer)}")
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return CheckResult("home page", False, f"Content-Type is {answer.headers.get('content-type')!r}, not HTML")
    if "no-cache" not in answer.headers.get("cache-control", ""):
        return CheckResult(
            "home page",
            False,
            "index.html is served without Cache-Control: no-cache; browsers would keep an old release",
        )
    return CheckResult("home page", True, f"200, {len(answer.body)} bytes")


def _asset(path: str, answer: Answer) -> CheckResult:
    if answer.status != 200:
        return CheckResult(f"asset {path}", False, f"{_status(answer)}: the page names a file not served")
    if "immutable" not in answer.headers.get("cache-control", ""):
        return CheckResult(f"asset {path}", False, "served without Cache-Control: immutable")
    return CheckResult(f"asset {path}", True, "200")


def _route(route: str, answer: Answer, index: bytes) -> CheckResult:
    if answer.status != 200:
        return CheckResult(
            f"route {route}",
            False,
            f"{_status(answer)}: the SPA fallback is not serving index.html for client-side routes",
        )
    if answer.body != index:
        return CheckResult(f"route {route}", False, "answered 200 with something other than index.html")
    return CheckResult(f"route {route}", True, "200, index.html")


def _health(answer: Answer) -> CheckResult:
    try:
        status = json.loads(answer.body).get("status")
    except (ValueError, AttributeError):
        status = None
    if answer.status != 200 or status not in ("healthy", "degraded"):
        return CheckResult("health-check function", False, f"{_status(answer)}, status {status!r}")
    # Degraded is 200: one AI provider is down and the chat falls back to another. Reported, not failed.
    return CheckResult("health-check function", True, f"200, {status}")


def _status(answer: Answer) -> str:
    return f"answered HTTP {answer.status}" if answer.status else f"no answer ({answer.body.decode(errors='replace')})"
