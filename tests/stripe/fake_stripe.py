"""A stand-in for Stripe's Webhook Endpoints API (/v1/webhook_endpoints) that keeps state, built from Stripe's
public API shapes: form-encoded parameters (`enabled_events[]=...`), the key as a Bearer token, JSON objects
with `object: "webhook_endpoint"`, the signing `secret` only in the answer to the create, and Stripe's error
shape (`{"error": {"type", "message", "code", "param"}}`, 404 `resource_missing`).

stripe-mock (Stripe's own mock, which validates against Stripe's OpenAPI spec) keeps no state and returns no
secret, so it cannot show a lifecycle. With `validate_with=<stripe-mock URL>`, every request is first replayed
to stripe-mock, and one that Stripe's spec refuses is answered with stripe-mock's error and counted in
`violations`: the lifecycle runs here, the request shapes are checked by Stripe's spec.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


class FakeStripe:
    def __init__(self, key: str, validate_with: str | None = None) -> None:
        self.key = key
        self.validate_with = validate_with
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.violations: list[str] = []
        self.fail_next: int | None = None
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeStripe:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode() if length else ""
        path = request.path.split("?", 1)[0]
        self.calls.append((method, path))
        if request.headers.get("Authorization") != f"Bearer {self.key}":
            return self._send(request, 401, _error("Invalid API Key provided", "api_key_invalid", status=401))
        refusal = self._refused_by_spec(method, request.path, body, request.headers.get("Content-Type"))
        if refusal is not None:
            self.violations.append(f"{method} {path}: {refusal.get('error', {}).get('message')}")
            return self._send(request, 400, refusal)
        if self.fail_next is not None:
            status, self.fail_next = self.fail_next, None
            return self._send(request, status, _error("An unexpected error occurred", "api_error", status=status))
        params = parse_qsl(body, keep_blank_values=True)
        status, answer = self._route(method, path, params)
        self._send(request, status, answer)

    def _route(self, method: str, path: str, params: list[tuple[str, str]]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if parts[:2] != ["v1", "webhook_endpoints"] or len(parts) > 3:
            return 404, _error(f"Unrecognized request URL ({method}: {path})", None)
        if len(parts) == 2 and method == "POST":
            return 200, self._create(params)
        endpoint_id = parts[2] if len(parts) == 3 else ""
        endpoint = self.endpoints.get(endpoint_id)
        if endpoint is None:
            return 404, _error(f"No such webhook endpoint: '{endpoint_id}'", "resource_missing", param="id")
        if method == "GET":
            return 200, endpoint
        if method == "POST":
            return 200, self._update(endpoint, params)
        if method == "DELETE":
            del self.endpoints[endpoint_id]
            return 200, {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}
        return 405, _error("Method not allowed", None)

    def _create(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        endpoint_id = "we_" + secrets.token_hex(12)
        endpoint = {
            "id": endpoint_id,
            "object": "webhook_endpoint",
            "api_version": None,
            "application": None,
            "created": int(time.time()),
            "livemode": False,
            "status": "enabled",
            "url": "",
            "enabled_events": [],
            "description": None,
            "metadata": {},
        }
        self._apply(endpoint, params)
        self.endpoints[endpoint_id] = endpoint
        return {**endpoint, "secret": "whsec_" + secrets.token_hex(16)}

    def _update(self, endpoint: dict[str, Any], params: list[tuple[str, str]]) -> dict[str, Any]:
        self._apply(endpoint, params)
        return endpoint

    @staticmethod
    def _apply(endpoint: dict[str, Any], params: list[tuple[str, str]]) -> None:
        events = [value for key, value in params if key in ("enabled_events[]",) or key.startswith("enabled_events[")]
        if events:
            endpoint["enabled_events"] = events
        for key, value in params:
            if key in ("url", "description"):
                endpoint[key] = value
            elif key == "disabled":
                endpoint["status"] = "disabled" if value == "true" else "enabled"
            elif key.startswith("metadata[") and key.endswith("]"):
                endpoint["metadata"][key[len("metadata[") : -1]] = value

    def _refused_by_spec(self, method: str, path: str, body: str, content_type: str | None) -> dict[str, Any] | None:
        if not self.validate_with:
            return None
        request = urllib.request.Request(
            self.validate_with + path,
            data=body.encode() if method == "POST" else None,
            method=method,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": content_type or "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=5):
                return None
        except urllib.error.HTTPError as exc:
            if exc.code == 400:
                return json.loads(exc.read() or b"{}")
            return None

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, answer: dict[str, Any]) -> None:
        data = json.dumps(answer).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.send_header("Request-Id", "req_" + secrets.token_hex(7))
        request.end_headers()
        request.wfile.write(data)


def _error(message: str, code: str | None, *, param: str | None = None, status: int = 400) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "api_error"
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return {"error": error}
