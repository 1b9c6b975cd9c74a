"""A local stand-in for the frontend's CloudFront distribution in front of its (moto) bucket, as
components/frontend.py configures it: `index.html` as default root object, objects served with the
Content-Type and Cache-Control stored on them, and the SPA fallback (a missing key answers /index.html with
200). It also answers the health-check function's path with a configurable status, as that function does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.harness.loopback_server import serve_on_loopback

HEALTH_PATH = "/functions/v1/health-check"


@dataclass
class Site:
    url: str
    health: dict[str, Any] = field(default_factory=lambda: {"code": 200, "status": "healthy"})
    fallback: bool = True


@contextmanager
def serve_bucket(s3: Any, bucket: str) -> Iterator[Site]:
    site = Site(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == HEALTH_PATH:
                body = json.dumps({"status": site.health["status"]}).encode()
                return self._answer(site.health["code"], body, {"Content-Type": "application/json"})
            key = path.lstrip("/") or "index.html"
            try:
                obj = s3.get_object(Bucket=bucket, Key=key)
            except s3.exceptions.NoSuchKey:
                if not site.fallback:
                    return self._answer(403, b"AccessDenied", {"Content-Type": "application/xml"})
                obj = s3.get_object(Bucket=bucket, Key="index.html")
            headers = {"Content-Type": obj["ContentType"], "Cache-Control": obj.get("CacheControl", "")}
            return self._answer(200, obj["Body"].read(), headers)

        def _answer(self, code: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(code)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_on_loopback(Handler) as url:
        site.url = url
        yield site
