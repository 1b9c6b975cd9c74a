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
import hashlib
import hmac
import json
import re
import secrets
import socket
import string
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core.testing import MockRequest, MockResponse
from werkzeug.formparser import parse_form_data

from tests.supabase import spec
from tests.supabase.fake_logs import LogTables

HOST_URL = "https://api.supabase.com"  # what the spec's paths are matched against
RATE_LIMIT = 120
SECRET_AUTH_FIELD = re.compile(r"(_secret|^smtp_pass)$")
STORAGE_BUCKET_FIELDS = {"id", "name", "public", "file_size_limit", "allowed_mime_types"}


def _new_ref() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(20))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _default_auth_config() -> dict[str, Any]:
    """Every field of AuthConfigResponse (all are required): null where nullable, else a typed default."""
    config: dict[str, Any] = {}
    for name, prop in spec.schema("AuthConfigResponse")["properties"].items():
        if prop.get("enum"):
            config[name] = prop["enum"][0]  # openapi-core does not accept null for a nullable enum
        elif prop.get("nullable"):
            config[name] = None
        else:
            config[name] = {"integer": 6, "boolean": False, "number": 0, "string": ""}[prop.get("type", "string")]
    config.update(site_url="http://localhost:3000", jwt_exp=3600, external_email_enabled=True, mailer_autoconfirm=False)
    return config


@dataclass
class Function:
    slug: str
    verify_jwt: bool
    entrypoint_path: str
    files: dict[str, bytes]
    version: int = 1
    created_at: int = field(default_factory=lambda: int(time.time() * 1000))
    metadata: dict[str, Any] = field(default_factory=dict)  # the deploy's metadata, as sent

    def response(self) -> dict[str, Any]:
        return {
            "id": hashlib.md5(self.slug.encode()).hexdigest(),
            "slug": self.slug,
            "name": self.slug,
            "status": "ACTIVE",
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": int(time.time() * 1000),
            "verify_jwt": self.verify_jwt,
            "import_map": False,
            "entrypoint_path": self.entrypoint_path,
            "ezbr_sha256": hashlib.sha256(b"".join(self.files.values())).hexdigest(),
        }


@dataclass
class Project:
    ref: str
    name: str
    organization_slug: str
    region: str
    db_pass: str
    status: str = "COMING_UP"
    polls_until_active: int = 2
    health_polls_until_healthy: int = 1
    delete_refusals: int = 0
    created_at: str = field(default_factory=_now)
    instance_size: str = "micro"
    anon_key: str = field(default_factory=lambda: "eyJhbGciOiJIUzI1NiJ9.anon." + secrets.token_urlsafe(24))
    service_key: str = field(default_factory=lambda: "eyJhbGciOiJIUzI1NiJ9.service." + secrets.token_urlsafe(24))
    auth_config: dict[str, Any] = field(default_factory=_default_auth_config)
    postgres_config: dict[str, Any] = field(default_factory=lambda: {"max_connections": 60})
    ssl_enforced: bool = False
    allowed_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    allowed_cidrs_v6: list[str] = field(default_factory=lambda: ["::/0"])
    secrets: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    custom_hostname: str = ""
    hostname_status: str = "1_not_started"
    reverifies_until_verified: int = 1
    pitr_variant: str = ""  # pitr_7 | pitr_14 | pitr_28 when the add-on is on
    pitr_restores: list[int] = field(default_factory=list)  # recovery_time_target_unix of each restore asked
    logs: LogTables = field(default_factory=LogTables)  # what logs.all counts (tests/supabase/fake_logs.py)

    def response(self, with_database: bool = True) -> dict[str, Any]:
        body = {
            "id": self.ref,
            "ref": self.ref,
            "organization_id": self.organization_slug,
            "organization_slug": self.organization_slug,
            "name": self.name,
            "region": self.region,
            "created_at": self.created_at,
            "status": self.status,
        }
        if with_database:
            body["database"] = {
                "host": f"db.{self.ref}.supabase.co",
                "version": "17.4.1.054",
                "postgres_engine": "17",
                "release_channel": "ga",
            }
        return body


class Fault:
    RATE_LIMITED, UNAVAILABLE, TIMEOUT, DROP = "429", "503", "timeout", "drop"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    operation: str
    status: int


class Reply(Exception):
    """Raised by a handler to answer with an error status."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


class FakeSupabase:
    def __init__(self, *, token: str | None = None, organization: str = "acme-platform") -> None:
        self.token = token or "sbp_" + secrets.token_hex(20)
        self.organization = organization
        self.projects: dict[str, Project] = {}
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

    # ------------------------------------------------------------------ lifecycle and test helpers
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

    # ------------------------------------------------------------------ HTTP plumbing
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
        self._record(method, parts.path, operation, status)
        if fault == Fault.DROP:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return None
        if fault == Fault.TIMEOUT:
            time.sleep(self.slow_seconds)
        with contextlib.suppress(OSError):  # the client may have given up waiting, as intended
            self._write(handler, status, answer, headers)
        return None

    def _record(self, method: str, path: str, operation: str, status: int) -> None:
        with self._lock:
            self.calls.append(Call(method, path, operation, status))

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
            if data and status < 400:
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

    # ------------------------------------------------------------------ routes
    def _build_routes(self) -> list[tuple[Any, ...]]:
        ids = spec.operation_ids()
        table = [
            ("GET", "/v1/organizations/{slug}/projects", self._org_projects),
            ("GET", "/v1/projects", self._list_projects),
            ("POST", "/v1/projects", self._create_project),
            ("GET", "/v1/projects/{ref}", self._get_project),
            ("PATCH", "/v1/projects/{ref}", self._rename_project),
            ("DELETE", "/v1/projects/{ref}", self._delete_project),
            ("GET", "/v1/projects/{ref}/health", self._health),
            ("GET", "/v1/projects/{ref}/api-keys", self._api_keys),
            ("GET", "/v1/projects/{ref}/config/database/pooler", self._pooler),
            ("PATCH", "/v1/projects/{ref}/database/password", self._set_password),
            ("PATCH", "/v1/projects/{ref}/billing/addons", self._apply_addon),
            ("GET", "/v1/projects/{ref}/billing/addons", self._list_addons),
            ("DELETE", "/v1/projects/{ref}/billing/addons/{addon_variant}", self._remove_addon),
            ("POST", "/v1/projects/{ref}/database/backups/restore-pitr", self._restore_pitr),
            ("GET", "/v1/projects/{ref}/config/auth", self._get_auth),
            ("PATCH", "/v1/projects/{ref}/config/auth", self._patch_auth),
            ("GET", "/v1/projects/{ref}/config/database/postgres", self._get_postgres),
            ("PUT", "/v1/projects/{ref}/config/database/postgres", self._put_postgres),
            ("GET", "/v1/projects/{ref}/ssl-enforcement", self._get_ssl),
            ("PUT", "/v1/projects/{ref}/ssl-enforcement", self._put_ssl),
            ("GET", "/v1/projects/{ref}/network-restrictions", self._get_network),
            ("POST", "/v1/projects/{ref}/network-restrictions/apply", self._apply_network),
            ("GET", "/v1/projects/{ref}/secrets", self._list_secrets),
            ("POST", "/v1/projects/{ref}/secrets", self._create_secrets),
            ("DELETE", "/v1/projects/{ref}/secrets", self._delete_secrets),
            ("GET", "/v1/projects/{ref}/functions", self._list_functions),
            ("POST", "/v1/projects/{ref}/functions/deploy", self._deploy_function),
            ("GET", "/v1/projects/{ref}/functions/{function_slug}", self._get_function),
            ("DELETE", "/v1/projects/{ref}/functions/{function_slug}", self._delete_function),
            ("GET", "/v1/projects/{ref}/storage/buckets", self._list_buckets_management),
            ("GET", "/v1/projects/{ref}/custom-hostname", self._get_hostname),
            ("DELETE", "/v1/projects/{ref}/custom-hostname", self._delete_hostname),
            ("POST", "/v1/projects/{ref}/custom-hostname/initialize", self._initialize_hostname),
            ("POST", "/v1/projects/{ref}/custom-hostname/reverify", self._reverify_hostname),
            ("POST", "/v1/projects/{ref}/custom-hostname/activate", self._activate_hostname),
            ("GET", "/v1/projects/{ref}/analytics/endpoints/logs.all", self._logs_all),
        ]
        storage = [
            ("GET", "/project/{ref}/storage/v1/bucket", "storage list buckets", self._storage_list),
            ("POST", "/project/{ref}/storage/v1/bucket", "storage create bucket", self._storage_create),
            ("GET", "/project/{ref}/storage/v1/bucket/{bucket}", "storage get bucket", self._storage_get),
            ("PUT", "/project/{ref}/storage/v1/bucket/{bucket}", "storage update bucket", self._storage_update),
            ("DELETE", "/project/{ref}/storage/v1/bucket/{bucket}", "storage delete bucket", self._storage_delete),
            ("POST", "/project/{ref}/storage/v1/object/list/{bucket}", "storage list objects", self._storage_objects),
        ]
        routes: list[tuple[Any, ...]] = []
        for method, template, function in table:
            routes.append((method, _pattern(template), ids[(method, template)], template, function, False))
        for method, template, name, function in storage:
            routes.append((method, _pattern(template), name, template, function, True))
        # Literal segments first, so /functions/deploy is not taken for /functions/{function_slug}.
        routes.sort(key=lambda route: route[3].count("{"))
        return routes

    def _project(self, params: dict[str, str]) -> Project:
        project = self.projects.get(params.get("ref", ""))
        if project is None or project.status == "REMOVED":
            raise Reply(404, {"message": "Project not found"})
        return project

    # projects
    def _org_projects(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        if params["slug"] != self.organization:
            raise Reply(404, {"message": "Organization not found"})
        args = dict(query)
        search = args.get("search", "").lower()
        offset, limit = int(args.get("offset", 0)), int(args.get("limit", 100))
        matching = [
            p for p in self.projects.values() if p.status != "REMOVED" and search in p.name.lower()
        ]  # fmt: skip
        page = [
            {
                "ref": p.ref, "name": p.name, "cloud_provider": "AWS", "region": p.region, "is_branch": False,
                "status": p.status, "inserted_at": p.created_at,
                "databases": [{
                    "infra_compute_size": p.instance_size, "region": p.region, "cloud_provider": "AWS",
                    "identifier": p.ref, "type": "PRIMARY",
                    "status": p.status if p.status != "INACTIVE" else "UNKNOWN",
                }],
            }
            for p in matching[offset : offset + limit]
        ]  # fmt: skip
        return 200, {"projects": page, "pagination": {"count": len(matching), "limit": limit, "offset": offset}}

    def _list_projects(self, *_: Any) -> Any:
        return 200, [p.response() for p in self.projects.values() if p.status != "REMOVED"]

    def _create_project(self, _params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        if body["organization_slug"] != self.organization:
            raise Reply(403, {"message": "You do not have permission to create projects in this organization"})
        region = body.get("region") or body.get("region_selection", {}).get("code", "us-east-1")
        project = Project(
            ref=_new_ref(), name=body["name"], organization_slug=body["organization_slug"], region=region,
            db_pass=body["db_pass"], instance_size=body.get("desired_instance_size", "micro"),
        )  # fmt: skip
        self.projects[project.ref] = project
        return 201, project.response(with_database=False)

    def _get_project(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.status == "COMING_UP":
            if project.polls_until_active <= 0:
                project.status = "ACTIVE_HEALTHY"
            project.polls_until_active -= 1
        return 200, project.response()

    def _rename_project(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.name = body["name"]
        return 200, {"id": 1, "ref": project.ref, "name": project.name}

    def _delete_project(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.delete_refusals > 0:
            project.delete_refusals -= 1
            raise Reply(400, {"message": "Project is not ready for deletion yet, try again in a moment"})
        project.status = "REMOVED"
        return 200, {"id": 1, "ref": project.ref, "name": project.name}

    def _health(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        project = self._project(params)
        healthy = project.status == "ACTIVE_HEALTHY" and project.health_polls_until_healthy <= 0
        project.health_polls_until_healthy -= 1
        return 200, [
            {"name": name, "healthy": healthy, "status": "ACTIVE_HEALTHY" if healthy else "COMING_UP"}
            for name, _ in ((value, 0) for key, value in query if key == "services")
        ]

    def _api_keys(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        project = self._project(params)
        reveal = dict(query).get("reveal") == "true"
        return 200, [
            {"name": "anon", "api_key": project.anon_key, "type": "legacy", "id": "anon"},
            {"name": "service_role", "api_key": project.service_key if reveal else None, "type": "legacy",
             "id": "service_role"},
        ]  # fmt: skip

    def _pooler(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        host, port, user, database = self.database_endpoint or (
            f"aws-0-{project.region}.pooler.supabase.com", 6543, f"postgres.{project.ref}", "postgres")
        mode = "session" if self.database_endpoint else "transaction"
        url = f"postgresql://{user}:[YOUR-PASSWORD]@{host}:{port}/{database}"
        return 200, [{
            "identifier": project.ref, "database_type": "PRIMARY", "is_using_scram_auth": True,
            "db_user": user, "db_host": host, "db_port": port, "db_name": database,
            "connection_string": url, "connectionString": url, "default_pool_size": 15, "max_client_conn": 200,
            "pool_mode": mode,
        }]  # fmt: skip

    def _set_password(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        self._project(params).db_pass = body["password"]
        return 200, {"message": "Password updated"}

    def _apply_addon(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        if body["addon_type"] == "compute_instance":
            project.instance_size = body["addon_variant"].removeprefix("ci_")
        elif body["addon_type"] == "pitr":
            project.pitr_variant = body["addon_variant"]
        return 200, None

    def _list_addons(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        selected = [{"type": "compute_instance",
                     "variant": {"id": f"ci_{project.instance_size}", "name": project.instance_size,
                                 "price": {"description": "compute", "type": "usage", "interval": "hourly",
                                           "amount": 0.01344}}}]
        if project.pitr_variant:
            days = project.pitr_variant.removeprefix("pitr_")
            selected.append({"type": "pitr", "variant": {
                "id": project.pitr_variant, "name": f"{days} days",
                "price": {"description": "PITR", "type": "fixed", "interval": "monthly", "amount": 100}}})
        return 200, {"selected_addons": selected, "available_addons": []}

    def _remove_addon(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if params["addon_variant"] == project.pitr_variant:
            project.pitr_variant = ""
        return 200, None

    def _restore_pitr(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        # The spec documents no refusal for a project without the add-on (201, 401, 403, 429 only).
        project.pitr_restores.append(int(body["recovery_time_target_unix"]))
        return 201, None

    # auth
    def _auth_view(self, project: Project) -> dict[str, Any]:
        view = dict(project.auth_config)
        for key, value in view.items():
            if SECRET_AUTH_FIELD.search(key) and isinstance(value, str):
                view[key] = hmac.new(project.ref.encode(), value.encode(), hashlib.sha256).hexdigest()
        return view

    def _get_auth(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._auth_view(self._project(params))

    def _patch_auth(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        unknown = set(body) - set(project.auth_config)
        if unknown:
            raise Reply(400, {"message": f"unknown auth fields {sorted(unknown)}"})
        project.auth_config.update(body)
        return 200, self._auth_view(project)

    # database settings
    def _get_postgres(self, params: dict[str, str], *_: Any) -> Any:
        return 200, dict(self._project(params).postgres_config)

    def _put_postgres(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.postgres_config.update({k: v for k, v in body.items() if k != "restart_database"})
        return 200, dict(project.postgres_config)

    def _get_ssl(self, params: dict[str, str], *_: Any) -> Any:
        return 200, {"currentConfig": {"database": self._project(params).ssl_enforced}, "appliedSuccessfully": True}

    def _put_ssl(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.ssl_enforced = body["requestedConfig"]["database"]
        return 200, {"currentConfig": {"database": project.ssl_enforced}, "appliedSuccessfully": True}

    def _network_view(self, project: Project) -> dict[str, Any]:
        return {
            "entitlement": "allowed",
            "config": {
                "dbAllowedCidrs": list(project.allowed_cidrs),
                "dbAllowedCidrsV6": list(project.allowed_cidrs_v6),
            },
            "status": "applied",
        }

    def _get_network(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._network_view(self._project(params))

    def _apply_network(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.allowed_cidrs = list(body.get("dbAllowedCidrs", []))
        project.allowed_cidrs_v6 = list(body.get("dbAllowedCidrsV6", []))
        return 201, self._network_view(project)

    # function secrets
    def _list_secrets(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        injected = {"SUPABASE_URL": f"https://{project.ref}.supabase.co", "SUPABASE_ANON_KEY": project.anon_key}
        return 200, [
            {"name": name, "value": hashlib.sha256(value.encode()).hexdigest(), "updated_at": _now()}
            for name, value in sorted({**injected, **project.secrets}.items())
        ]

    def _create_secrets(self, params: dict[str, str], body: list[dict[str, str]], *_: Any) -> Any:
        project = self._project(params)
        project.secrets.update({item["name"]: item["value"] for item in body})
        return 201, None

    def _delete_secrets(self, params: dict[str, str], body: list[str], *_: Any) -> Any:
        project = self._project(params)
        for name in body:
            project.secrets.pop(name, None)
        return 200, None

    # edge functions
    def _list_functions(self, params: dict[str, str], *_: Any) -> Any:
        return 200, [f.response() for f in self._project(params).functions.values()]

    def _deploy_function(
        self, params: dict[str, str], body: Any, query: list[tuple[str, str]], raw: bytes, content_type: str
    ) -> Any:
        project = self._project(params)
        _, form, files = parse_form_data(
            {"wsgi.input": BytesIO(raw), "CONTENT_LENGTH": str(len(raw)), "CONTENT_TYPE": content_type,
             "REQUEST_METHOD": "POST"}
        )  # fmt: skip
        metadata = json.loads(form.get("metadata") or files["metadata"].read())
        # FunctionDeployBody.metadata in the spec: these keys only, static_patterns a list of strings.
        unknown = set(metadata) - {"entrypoint_path", "import_map_path", "static_patterns", "verify_jwt", "name"}
        patterns = metadata.get("static_patterns", [])
        if unknown or not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise Reply(400, {"message": f"invalid metadata: {sorted(unknown) or 'static_patterns'}"})
        slug = dict(query).get("slug") or metadata.get("name")
        uploaded = {item.filename: item.read() for item in files.getlist("file")}
        if metadata.get("import_map_path") and metadata["import_map_path"] not in uploaded:
            raise Reply(400, {"message": f"import map {metadata['import_map_path']} is not among the uploaded files"})
        if metadata["entrypoint_path"] not in uploaded:
            raise Reply(400, {"message": f"entrypoint {metadata['entrypoint_path']} is not among the uploaded files"})
        if any(name.startswith("/") or ".." in name.split("/") for name in uploaded):
            raise Reply(400, {"message": "file names must be relative paths inside the bundle"})
        existing = project.functions.get(slug)
        verify_jwt = metadata.get("verify_jwt", existing.verify_jwt if existing else True)
        function = Function(slug, verify_jwt, metadata["entrypoint_path"], uploaded, metadata=metadata)
        function.version = existing.version + 1 if existing else 1
        project.functions[slug] = function
        return 201, function.response()

    def _get_function(self, params: dict[str, str], *_: Any) -> Any:
        function = self._project(params).functions.get(params["function_slug"])
        if function is None:
            raise Reply(404, {"message": "Function not found"})
        return 200, function.response()

    def _delete_function(self, params: dict[str, str], *_: Any) -> Any:
        if self._project(params).functions.pop(params["function_slug"], None) is None:
            raise Reply(404, {"message": "Function not found"})
        return 200, None

    def _list_buckets_management(self, params: dict[str, str], *_: Any) -> Any:
        return 200, [
            {"id": b["id"], "name": b["name"], "owner": "", "created_at": b["created_at"],
             "updated_at": b["updated_at"], "public": b["public"]}
            for b in self._project(params).buckets.values()
        ]  # fmt: skip

    # custom domain
    def _hostname_view(self, project: Project) -> dict[str, Any]:
        host = project.custom_hostname
        return {
            "status": project.hostname_status,
            "custom_hostname": host,
            "data": {
                "success": True, "errors": [], "messages": [],
                "result": {
                    "id": hashlib.md5(host.encode()).hexdigest(), "hostname": host,
                    "ssl": {"status": "pending_validation" if project.hostname_status < "3" else "active",
                            "validation_records": [{"txt_name": f"_acme-challenge.{host}",
                                                    "txt_value": hashlib.sha1(host.encode()).hexdigest()}]},
                    "ownership_verification": {"type": "txt", "name": f"_cf-custom-hostname.{host}",
                                               "value": hashlib.md5(project.ref.encode()).hexdigest()},
                    "custom_origin_server": f"{project.ref}.supabase.co", "status": "pending",
                },
            },
        }  # fmt: skip

    def _get_hostname(self, params: dict[str, str], *_: Any) -> Any:
        return 200, self._hostname_view(self._project(params))

    def _delete_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        project.custom_hostname, project.hostname_status = "", "1_not_started"
        return 200, None

    def _initialize_hostname(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        project = self._project(params)
        project.custom_hostname, project.hostname_status = body["custom_hostname"], "2_initiated"
        return 201, self._hostname_view(project)

    def _reverify_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if not project.custom_hostname:
            raise Reply(400, {"message": "No custom hostname configured"})
        project.reverifies_until_verified -= 1
        if project.reverifies_until_verified <= 0 and project.hostname_status < "3":
            project.hostname_status = "3_challenge_verified"
        return 201, self._hostname_view(project)

    def _activate_hostname(self, params: dict[str, str], *_: Any) -> Any:
        project = self._project(params)
        if project.hostname_status < "3":
            raise Reply(400, {"message": "The custom hostname has not been verified yet"})
        project.hostname_status = "5_services_reconfigured"
        return 201, self._hostname_view(project)

    # ------------------------------------------------------------------ Storage API
    # logs
    def _logs_all(self, params: dict[str, str], _body: Any, query: list[tuple[str, str]], *_: Any) -> Any:
        project, args = self._project(params), dict(query)
        if "iso_timestamp_start" not in args or "iso_timestamp_end" not in args or "sql" not in args:
            raise Reply(400, {"message": "the scraper's queries give sql and both timestamps"})
        start, end = (datetime.fromisoformat(args[name]) for name in ("iso_timestamp_start", "iso_timestamp_end"))
        status, answer = project.logs.answer(args["sql"], start, end)
        if status != 200:
            raise Reply(status, answer)
        return status, answer

    def _dispatch_storage(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        body: bytes,
        function: Any,
        params: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, Any, dict[str, str]]:
        project = self.projects.get(params["ref"])
        if project is None:
            return 404, {"message": "no such project"}, headers
        key = project.service_key
        if handler.headers.get("Authorization") != f"Bearer {key}" or handler.headers.get("apikey") != key:
            self.violations.append(f"{method} {path}: Storage API called without the service-role key")
            return 400, _storage_error("403", "Unauthorized", "invalid signature"), headers
        try:
            data = json.loads(body) if body else None
        except ValueError:
            self.violations.append(f"{method} {path}: body is not JSON")
            return 400, _storage_error("400", "InvalidJSON", "body is not JSON"), headers
        try:
            with self._lock:
                status, answer = function(project, params.get("bucket"), data, method, path)
        except Reply as reply:
            return reply.status, reply.body, headers
        return status, answer, headers

    def _storage_validate(self, data: Any, method: str, path: str, *, require_id: bool) -> None:
        problems = []
        if not isinstance(data, dict):
            problems.append("body must be an object")
        else:
            problems += [f"unknown field {key}" for key in set(data) - STORAGE_BUCKET_FIELDS]
            if require_id and not isinstance(data.get("id") or data.get("name"), str):
                problems.append("id (or name) is required")
            if "public" in data and not isinstance(data["public"], bool):
                problems.append("public must be a boolean")
            limit = data.get("file_size_limit")
            if limit is not None and not isinstance(limit, int | str):
                problems.append("file_size_limit must be an integer or a string like '5MB'")
            mimes = data.get("allowed_mime_types")
            if mimes is not None and not (isinstance(mimes, list) and all(isinstance(m, str) for m in mimes)):
                problems.append("allowed_mime_types must be a list of strings")
        if problems:
            self.violations.append(f"{method} {path}: {'; '.join(problems)}")
            raise Reply(400, _storage_error("400", "InvalidRequest", "; ".join(problems)))

    @staticmethod
    def _storage_bucket_view(bucket: dict[str, Any]) -> dict[str, Any]:
        return dict(bucket)

    def _storage_list(self, project: Project, *_: Any) -> Any:
        return 200, [self._storage_bucket_view(b) for b in project.buckets.values()]

    def _storage_create(self, project: Project, _bucket: Any, data: Any, method: str, path: str) -> Any:
        self._storage_validate(data, method, path, require_id=True)
        bucket_id = data.get("id") or data["name"]
        if bucket_id in project.buckets:
            raise Reply(400, _storage_error("409", "Duplicate", "The resource already exists", "BucketAlreadyExists"))
        project.buckets[bucket_id] = {
            "id": bucket_id, "name": data.get("name", bucket_id), "owner": "", "public": data.get("public", False),
            "file_size_limit": data.get("file_size_limit"), "allowed_mime_types": data.get("allowed_mime_types"),
            "created_at": _now(), "updated_at": _now(),
        }  # fmt: skip
        return 200, {"name": bucket_id}

    def _storage_get(self, project: Project, bucket_id: str, *_: Any) -> Any:
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        return 200, self._storage_bucket_view(project.buckets[bucket_id])

    def _storage_update(self, project: Project, bucket_id: str, data: Any, method: str, path: str) -> Any:
        self._storage_validate(data, method, path, require_id=False)
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        project.buckets[bucket_id].update({k: v for k, v in data.items() if k not in ("id", "name")})
        project.buckets[bucket_id]["updated_at"] = _now()
        return 200, {"message": "Successfully updated"}

    def _storage_delete(self, project: Project, bucket_id: str, *_: Any) -> Any:
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        if project.objects.get(bucket_id):
            raise Reply(
                400,
                _storage_error(
                    "409", "InvalidRequest", "The bucket you tried to delete is not empty", "BucketNotEmpty"
                ),
            )
        del project.buckets[bucket_id]
        return 200, {"message": "Successfully deleted"}

    def _storage_objects(self, project: Project, bucket_id: str, data: Any, method: str, path: str) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("prefix"), str):
            self.violations.append(f"{method} {path}: prefix (a string) is required")
            raise Reply(400, _storage_error("400", "InvalidRequest", "prefix is required"))
        if bucket_id not in project.buckets:
            raise Reply(400, _storage_error("404", "Bucket not found", "Bucket not found", "NoSuchBucket"))
        names = [n for n in project.objects.get(bucket_id, []) if n.startswith(data["prefix"])]
        limit, offset = int(data.get("limit", 100)), int(data.get("offset", 0))
        return 200, [{"name": n, "id": hashlib.md5(n.encode()).hexdigest()} for n in names[offset : offset + limit]]


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


def _storage_error(status: str, error: str, message: str, code: str | None = None) -> dict[str, str]:
    return {"statusCode": status, "code": code or error, "error": error, "message": message}


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template))


def _multi(query: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import ImmutableMultiDict

    return ImmutableMultiDict(query)


def _json(body: bytes, content_type: str) -> Any:
    if not body or not content_type.startswith("application/json"):
        return None
    return json.loads(body)


def _describe(errors: list[Exception]) -> str:
    parts = []
    for error in errors:
        causes = getattr(error, "__cause__", None)
        detail = getattr(causes, "schema_errors", None)
        if detail:
            parts += [f"{type(error).__name__}: {e.message}" for e in detail]
        else:
            parts.append(f"{type(error).__name__}: {error}")
    return "; ".join(parts)[:2000]
