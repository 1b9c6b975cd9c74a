"""Razorpay's subscription cancellation on loopback, from its documented contract (Subscriptions API):

    POST /v1/subscriptions/<id>/cancel   Basic <key id>:<key secret>   {"cancel_at_cycle_end": 0 | 1}
    200 {"id": "sub_...", "entity": "subscription", "status": "cancelled", ...}
    400 {"error": {"code": "BAD_REQUEST_ERROR", "description": "Subscription is not cancellable in cancelled status."}}
    401 wrong key; 404 {"error": {"code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist"}}

It keeps each subscription's status, so a second cancel is answered as Razorpay answers it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.harness.loopback_server import serve_on_loopback

KEY_ID, KEY_SECRET = "rzp_test_lifecycle", "rzp-test-secret-lifecycle"
ROUTE = re.compile(r"^/v1/subscriptions/(sub_[A-Za-z0-9]+)/cancel$")


@dataclass
class RazorpayStandIn:
    url: str = ""
    statuses: dict[str, str] = field(default_factory=dict)  # subscription id -> status
    cancel_calls: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


@contextmanager
def razorpay_standin() -> Iterator[RazorpayStandIn]:
    standin = RazorpayStandIn()
    expected = "Basic " + base64.b64encode(f"{KEY_ID}:{KEY_SECRET}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Authorization") != expected:
                return self._error(401, "Authentication failed")
            match = ROUTE.match(self.path)
            if not match:
                standin.violations.append(f"POST {self.path}: not the cancel route")
                return self._error(404, "The requested URL was not found on the server.")
            try:
                data = json.loads(body or b"{}")
            except ValueError:
                data = None
            if not isinstance(data, dict) or data.get("cancel_at_cycle_end", 0) not in (0, 1, True, False):
                standin.violations.append(f"POST {self.path}: body {body!r} outside the documented fields")
                return self._error(400, "cancel_at_cycle_end must be 0 or 1")
            sub = match.group(1)
            standin.cancel_calls.append(sub)
            status = standin.statuses.get(sub)
            if status is None:
                return self._error(404, "The id provided does not exist")
            if status == "cancelled":
                return self._error(400, "Subscription is not cancellable in cancelled status.")
            standin.statuses[sub] = "cancelled"
            self._answer(200, {"id": sub, "entity": "subscription", "status": "cancelled"})

        def _error(self, status: int, description: str) -> None:
            self._answer(status, {"error": {"code": "BAD_REQUEST_ERROR", "description": description}})

        def _answer(self, status: int, payload: object) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve_on_loopback(Handler) as url:
        standin.url = url
        yield standin
