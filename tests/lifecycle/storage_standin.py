"""Supabase Storage's object-removal route, stood in on loopback from storage-api's published contract:

    DELETE /storage/v1/object/<bucketName>   Authorization: Bearer <service key>, apikey   {"prefixes": [...]}
    200 [{"name", "bucket_id", "id", "owner", "metadata", ...}]   the objects removed (names it held)
    400 {"statusCode": "400", "error": ..., "message": ...}         a body outside the route's schema

Like the real service it removes the storage.objects rows of the test database (so the storage quota trigger
runs), and records each name it removed, so a test can see that nothing was removed twice and count calls.
`fail_after` makes it answer 500 once that many calls have succeeded (a Storage outage mid-run).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import unquote

import psycopg

from tests.harness.loopback_server import serve_on_loopback

SERVICE_KEY = "service-role-key-for-tests"
PREFIX = "/storage/v1/object/"


@dataclass
class StorageStandIn:
    database_url: str
    url: str = ""
    calls: int = 0
    removed: list[tuple[str, str]] = field(default_factory=list)  # (bucket, name), in removal order
    violations: list[str] = field(default_factory=list)
    fail_after: int | None = None
    record_removed: bool = True
    delay_seconds: float = 0.0  # each removal takes this long (a run can be killed in the middle)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remove(self, bucket: str, body: object) -> tuple[int, object]:
        if not isinstance(body, dict) or set(body) != {"prefixes"} or not isinstance(body["prefixes"], list) \
                or not body["prefixes"] or not all(isinstance(p, str) for p in body["prefixes"]):
            self.violations.append(f"DELETE {bucket}: body outside the route's schema: {body!r}")
            return 400, {"statusCode": "400", "error": "Bad Request", "message": "body/prefixes must be an array"}
        time.sleep(self.delay_seconds)
        with self.lock:
            if self.fail_after is not None and self.calls >= self.fail_after:
                return 500, {"statusCode": "500", "error": "Internal", "message": "backend unavailable"}
            self.calls += 1
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                rows = conn.execute(
                    "delete from storage.objects where bucket_id = %s and name = any(%s) "
                    "returning name, bucket_id, id::text, owner::text, metadata",
                    (bucket, body["prefixes"])).fetchall()
            if self.record_removed:
                self.removed.extend((bucket, row[0]) for row in rows)
        return 200, [{"name": n, "bucket_id": b, "id": i, "owner": o, "metadata": m} for n, b, i, o, m in rows]


@contextmanager
def storage_standin(database_url: str) -> Iterator[StorageStandIn]:
    standin = StorageStandIn(database_url)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def do_DELETE(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            authorized = (self.headers.get("Authorization") == f"Bearer {SERVICE_KEY}"
                          and self.headers.get("apikey") == SERVICE_KEY)
            if not authorized:
                standin.violations.append(f"DELETE {path} without the service-role key")
                return self._answer(400, {"statusCode": "403", "error": "Unauthorized", "message": "invalid"})
            bucket = path[len(PREFIX):] if path.startswith(PREFIX) else ""
            if not bucket or "/" in bucket:
                standin.violations.append(f"DELETE {path}: not the bulk removal route")
                return self._answer(404, {"statusCode": "404", "error": "not_found", "message": "no route"})
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            self._answer(*standin.remove(bucket, body))

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
