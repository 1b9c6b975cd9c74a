"""A stateful stand-in for the Supabase Management API and a project's Storage API, on 127.0.0.1.

Every Management API request it receives, and every answer it gives, is validated against the official
OpenAPI spec (tests/supabase/spec.py). A request the spec does not allow is answered 400 and recorded in
`violations`; the `fake_supabase` fixture fails the test if there are any. Storage API calls (not in the
spec) are checked against the documented shapes of storage-api's bucket and object routes.

Faults are injected per operation: `fake.inject("v1-create-a-project", "timeout")` makes the next call to
that operation time out (after doing the work, as a slow server does), "drop" closes the connection
without answering (also after the work), "429" answers rate-limited with X-RateLimit-Reset, "503"
answers unavailable (both without doing the work).
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import socket
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core.testing import MockRequest, MockResponse

from tests.supabase import spec
from tests.supabase.fake_api import (
    billing,
    branches,
    custom_hostname,
    database_query,
    function_secrets,
    functions,
    functions_bulk,
    logs,
    projects,
    service_settings,
    settings,
    storage,
    third_party_auth,
)
from tests.supabase.fake_api.billing import BillingApi
from tests.supabase.fake_api.branches import Branch, BranchesApi
from tests.supabase.fake_api.custom_hostname import CustomHostnameApi
from tests.supabase.fake_api.database_query import DatabaseQueryApi
from tests.supabase.fake_api.function_secrets import FunctionSecretsApi
from tests.supabase.fake_api.functions import FunctionsApi
from tests.supabase.fake_api.functions_bulk import FunctionsBulkApi
from tests.supabase.fake_api.logs import LogsApi
from tests.supabase.fake_api.model import (
    HOST_URL,
    RATE_LIMIT,
    Call,
    Fault,
    Project,
    Reply,
    _describe,
    _json,
    _multi,
    _new_ref,
    _pattern,
)
from tests.supabase.fake_api.projects import ProjectsApi
from tests.supabase.fake_api.service_settings import ServiceSettingsApi
from tests.supabase.fake_api.settings import SettingsApi
from tests.supabase.fake_api.storage import StorageApi
from tests.supabase.fake_api.third_party_auth import ThirdPartyAuthApi

RESOURCES = (
    projects, billing, settings, service_settings, function_secrets, functions, functions_bulk, custom_hostname, logs,
    database_query, storage, branches, third_party_auth,
)  # fmt: skip
# Answers the spec lists without a schema although the live API sends one (the read-only SQL endpoint's rows).
BODIES_THE_SPEC_OMITS = frozenset({"v1-read-only-query"})


class FakeSupabase(
    ProjectsApi,
    BillingApi,
    SettingsApi,
    ServiceSettingsApi,
    FunctionSecretsApi,
    FunctionsApi,
    FunctionsBulkApi,
    CustomHostnameApi,
    LogsApi,
    DatabaseQueryApi,
    StorageApi,
    BranchesApi,
    ThirdPartyAuthApi,
):
    def __init__(self, *, token: str | None = None, organization: str = "acme-platform") -> None:
        self.token = token or "sbp_" + secrets.token_hex(20)
        self.organization = organization
        self.projects: dict[str, Project] = {}
        self.branches: dict[str, Branch] = {}  # branch ref -> branch (tests/supabase/fake_api/branches.py)
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.slow_seconds = 3.0
        self.rate_limit_reset_seconds = 1
        # Set (host, port, user, database): every project's session pooler is that real PostgreSQL, so a
        # deployment through this fake can run its migrations (the recovery drill). None: Supabase's names.
        self.database_endpoint: tuple[str, int, str, str] | None = None
        self._faults: dict[str, deque[str]] = defaultdict(deque)
        self._sent: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.RLock()
        self._routes = self._build_routes()
        self._server: ThreadingHTTPServer | None = None
        _warm_up_validators()

    def start(self) -> FakeSupabase:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return None

            def do_GET(self) -> None:
                fake._handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def project_url_template(self) -> str:
        return self.url + "/project/{ref}"

    def inject(self, operation: str, *faults: str) -> None:
        with self._lock:
            self._faults[operation].extend(faults)

    def add_project(self, name: str, *, status: str = "ACTIVE_HEALTHY", **attrs: Any) -> Project:
        project = Project(
            ref=_new_ref(), name=name, organization_slug=self.organization, region="us-east-1",
            db_pass="unknown-" + secrets.token_hex(8), status=status, polls_until_active=0,
            health_polls_until_healthy=0, **attrs,
        )  # fmt: skip
        self.projects[project.ref] = project
        return project

    def projects_named(self, name: str) -> list[Project]:
        return [p for p in self.projects.values() if p.name == name and p.status != "REMOVED"]

    def count(self, operation: str | None = None, *, writes_only: bool = False) -> int:
        return sum(
            1
            for call in self.calls
            if (operation is None or call.operation == operation) and (not writes_only or call.method != "GET")
        )

    def calls_by_operation(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for call in self.calls:
            counts[call.operation] += 1
        return dict(sorted(counts.items()))

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        query = parse_qsl(parts.query, keep_blank_values=True)
        route, params = self._match(method, parts.path)
        operation = route[2] if route else f"unrouted {method} {parts.path}"
        fault = self._next_fault(operation)
        if fault in (Fault.RATE_LIMITED, Fault.UNAVAILABLE):
            status = int(fault)
            answer = {"message": "Too many requests" if status == 429 else "Service Unavailable"}
            self._record(method, parts.path, operation, status)
            headers = {"X-RateLimit-Reset": str(self.rate_limit_reset_seconds)} if status == 429 else {}
            return self._write(handler, status, answer, headers)
        status, answer, headers = self._dispatch(handler, method, parts.path, query, body, route, params)
        self._record(method, parts.path, operation, status, _json_or_none(body, handler.headers.get("Content-Type")))
        if fault == Fault.DROP:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault == Fault.TIMEOUT:
            time.sleep(self.slow_seconds)
        with contextlib.suppress(OSError):  # the client may have given up waiting, as intended
            self._write(handler, status, answer, headers)
        return None

    def _record(self, method: str, path: str, operation: str, status: int, body: Any = None) -> None:
        with self._lock:
            self.calls.append(Call(method, path, operation, status, body))

    def bodies(self, operation: str) -> list[Any]:
        """The parsed JSON bodies of every call to an operation, in order."""
        return [call.body for call in self.calls if call.operation == operation]

    def _next_fault(self, operation: str) -> str | None:
        with self._lock:
            queue = self._faults.get(operation)
            return queue.popleft() if queue else None

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, status: int, answer: Any, headers: dict[str, str]) -> None:
        payload = b"" if answer is None else json.dumps(answer).encode()
        handler.send_response(status)
        if payload:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)

    def _match(self, method: str, path: str) -> tuple[tuple[Any, ...] | None, dict[str, str]]:
        for route in self._routes:
            if route[0] == method:
                found = route[1].fullmatch(path)
                if found:
                    return route, found.groupdict()
        return None, {}

    def _dispatch(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        body: bytes,
        route: tuple[Any, ...] | None,
        params: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        content_type = handler.headers.get("Content-Type", "application/json")
        if route is None:
            self.violations.append(f"{method} {path}: no such operation in the Management or Storage API")
            return 404, {"message": "Cannot " + method + " " + path}, {}
        template, operation, function, is_storage = route[3], route[2], route[4], route[5]
        headers = self._rate_limit_headers(f"{method} {path}")
        if headers.get("X-RateLimit-Remaining") == "-1":
            return 429, {"message": "Rate limit exceeded"}, {**headers, "X-RateLimit-Remaining": "0"}
        if is_storage == "unspecified":
            return self._dispatch_unspecified(handler, function, params, headers)
        if is_storage:
            return self._dispatch_storage(handler, method, path, body, function, params, headers)
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}, headers
        request = MockRequest(
            HOST_URL, method.lower(), path, path_pattern=template, args=_multi(query),
            view_args=params, headers=dict(handler.headers), data=body, content_type=content_type,
        )  # fmt: skip
        result = spec.openapi().unmarshal_request(request)
        if result.errors:
            # Never echo the request: it may carry a secret, and this message reaches the client.
            self.violations.append(f"{operation}: request rejected by the spec: {_describe(result.errors)}")
            return 400, {"message": f"{operation}: the request does not match the API specification"}, headers
        try:
            with self._lock:
                status, answer = function(params, _json(body, content_type), query, body, content_type)
        except Reply as reply:
            status, answer, headers = reply.status, reply.body, {**headers, **reply.headers}
        self._validate_response(request, operation, status, answer)
        return status, answer, headers

    def _dispatch_unspecified(
        self, handler: BaseHTTPRequestHandler, function: Any, params: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        """A read the spec does not describe (service_settings.UNSPECIFIED_ROUTES): authenticated, not validated."""
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}, headers
        try:
            with self._lock:
                status, answer = function(params)
        except Reply as reply:
            return reply.status, reply.body, {**headers, **reply.headers}
        return status, answer, headers

    def _validate_response(self, request: MockRequest, operation: str, status: int, answer: Any) -> None:
        documented = spec.raw_spec()["paths"][request.path_pattern][request.method]["responses"]
        if str(status) not in documented:
            # The live API answers undocumented 4xx with {"message": "..."} (see the spec README).
            if not (400 <= status < 500 and isinstance(answer, dict) and isinstance(answer.get("message"), str)):
                self.violations.append(f"{operation}: undocumented answer {status} {answer!r:.200}")
            return
        data = b"" if answer is None else json.dumps(answer).encode()
        response = MockResponse(data, status_code=status, content_type="application/json" if data else None)
        if "content" not in documented[str(status)]:
            if data and status < 400 and operation not in BODIES_THE_SPEC_OMITS:
                self.violations.append(f"{operation}: answer {status} has a body the spec does not define")
            return
        result = spec.openapi().unmarshal_response(request, response)
        if result.errors:
            self.violations.append(f"{operation}: answer {status} rejected by the spec: {_describe(result.errors)}")

    def _rate_limit_headers(self, endpoint: str) -> dict[str, str]:
        with self._lock:
            now, sent = time.monotonic(), self._sent[endpoint]
            while sent and now - sent[0] >= 60:
                sent.popleft()
            sent.append(now)
            reset = int(60 - (now - sent[0])) if sent else 60
            return {
                "X-RateLimit-Limit": str(RATE_LIMIT),
                "X-RateLimit-Remaining": str(RATE_LIMIT - len(sent)),
                "X-RateLimit-Reset": str(reset),
            }

    def _build_routes(self) -> list[tuple[Any, ...]]:
        ids = spec.operation_ids()
        routes: list[tuple[Any, ...]] = []
        for resource in RESOURCES:
            for method, template, handler in resource.ROUTES:
                routes.append(
                    (method, _pattern(template), ids[(method, template)], template, getattr(self, handler), False)
                )
            for method, template, name, handler in getattr(resource, "STORAGE_ROUTES", ()):
                routes.append((method, _pattern(template), name, template, getattr(self, handler), True))
            for method, template, name, handler in getattr(resource, "UNSPECIFIED_ROUTES", ()):
                routes.append((method, _pattern(template), name, template, getattr(self, handler), "unspecified"))
        # Two modules answering one route: only the first would ever answer, silently.
        seen = [(route[0], route[3]) for route in routes]
        twice = sorted({f"{method} {path}" for method, path in seen if seen.count((method, path)) > 1})
        if twice:
            raise RuntimeError(f"stand-in modules route {', '.join(twice)} more than once; merge them into one")
        # Literal segments first, so /functions/deploy is not taken for /functions/{function_slug}.
        routes.sort(key=lambda route: route[3].count("{"))
        return routes

    def _project(self, params: dict[str, str]) -> Project:
        project = self.projects.get(params.get("ref", ""))
        if project is None or project.status == "REMOVED":
            raise Reply(404, {"message": "Project not found"})
        return project


def _json_or_none(body: bytes, content_type: str | None) -> Any:
    try:
        return _json(body, content_type or "application/json")
    except ValueError:
        return None


@functools.cache
def _warm_up_validators() -> None:
    """Loading the spec and building its validators takes about a second: do it before the first request,
    so the first answer does not exceed the clients' short test timeouts."""
    openapi = spec.openapi()
    for method, path, body, content_type in (
        ("get", "/v1/projects/abcdefghijklmnopqrst", b"", "application/json"),
        ("post", "/v1/projects/abcdefghijklmnopqrst/functions/deploy", b"", "multipart/form-data; boundary=x"),
        ("patch", "/v1/projects/abcdefghijklmnopqrst/config/auth", b"{}", "application/json"),
    ):
        openapi.unmarshal_request(MockRequest(HOST_URL, method, path, data=body, content_type=content_type))
    request = MockRequest(HOST_URL, "get", "/v1/projects/abcdefghijklmnopqrst/config/auth")
    openapi.unmarshal_response(request, MockResponse(b"{}", status_code=200))
