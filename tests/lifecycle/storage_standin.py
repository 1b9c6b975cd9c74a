"""Supabase Storage's object-removal route, stood in on loopback from storage-api's published contract:

    DELETE /storage/v1/object/<bucketName>   Authorization: Bearer <service key>, apikey   {"prefixes": [...]}
    200 [{"name", "bucket_id", "id", "owner", "metadata", ...}]   the objects removed (names it held)
    400 {"statusCode": "400", "error": ..., "message": ...}         a body outside the route's schema

Like the real service it removes the storage.objects rows of the test database (so the storage quota trigger
runs), and records each name it removed, so a test can see that nothing was removed twice and count calls. For
exports it also serves the two routes they use, from the same contract:

    GET  /storage/v1/object/authenticated/<bucket>/<name>   the bytes (400 {"statusCode": "404"} when absent)
    POST /storage/v1/object/<bucket>/<name>   x-upsert: true   -> {"Key": "<bucket>/<name>"}; the storage.objects
         row is written with metadata.size, so the quota trigger counts (or refuses) it as Storage's write does
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
    blobs: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (bucket, name) -> bytes written or seeded

    def write(self, bucket: str, name: str, data: bytes, content_type: str) -> tuple[int, object]:
        metadata = json.dumps({"size": len(data), "mimetype": content_type})
        try:
            with psycopg.connect(self.database_url, autocommit=True) as conn:
                conn.execute(
                    "insert into storage.objects (bucket_id, name, metadata) values (%s, %s, %s) "
                    "on conflict (bucket_id, name) do update set metadata = excluded.metadata",
                    (bucket, name, metadata),
                )
        except psycopg.Error as exc:
            return 400, {"statusCode": "500", "error": "DatabaseError", "message": str(exc.diag.message_primary)}
        self.blobs[(bucket, name)] = data
        return 200, {"Key": f"{bucket}/{name}"}

    def remove(self, bucket: str, body: object) -> tuple[int, object]:
        if (
            not isinstance(body, dict)
            or set(body) != {"prefixes"}
            or not isinstance(body["prefixes"], list)
            or not body["prefixes"]
            or not all(isinstance(p, str) for p in body["prefixes"])
        ):
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
                    (bucket, body["prefixes"]),
                ).fetchall()
            if self.record_removed:
                self.removed.extend((bucket, row[0]) for row in rows)
        return 200, [{"name": n, "bucket_id": b, "id": i, "owner": o, "metadata": m} for n, b, i, o, m in rows]


@contextmanager
def storage_standin(database_url: str) -> Iterator[StorageStandIn]:
    standin = StorageStandIn(database_url)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _authorized(self) -> bool:
            ok = (
                self.headers.get("Authorization") == f"Bearer {SERVICE_KEY}"
                and self.headers.get("apikey") == SERVICE_KEY
            )
            if not ok:
                standin.violations.append(f"{self.command} {self.path} without the service-role key")
            return ok

        def do_GET(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            route = PREFIX + "authenticated/"
            if not self._authorized() or not path.startswith(route):
                return self._answer(400, {"statusCode": "403", "error": "Unauthorized", "message": "invalid"})
            bucket, _, name = path[len(route) :].partition("/")
            data = standin.blobs.get((bucket, name))
            if data is None:
                return self._answer(400, {"statusCode": "404", "error": "not_found", "message": "Object not found"})
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if not self._authorized() or not path.startswith(PREFIX):
                return self._answer(400, {"statusCode": "403", "error": "Unauthorized", "message": "invalid"})
            bucket, _, name = path[len(PREFIX) :].partition("/")
            if self.headers.get("x-upsert") != "true" and (bucket, name) in standin.blobs:
                return self._answer(400, {"statusCode": "409", "error": "Duplicate", "message": "already exists"})
            self._answer(*standin.write(bucket, name, data, self.headers.get("Content-Type") or ""))

        def do_DELETE(self) -> None:
            path = unquote(self.path.split("?", 1)[0])
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            authorized = (
                self.headers.get("Authorization") == f"Bearer {SERVICE_KEY}"
                and self.headers.get("apikey") == SERVICE_KEY
            )
            if not authorized:
                standin.violations.append(f"DELETE {path} without the service-role key")
                return self._answer(400, {"statusCode": "403", "error": "Unauthorized", "message": "invalid"})
            bucket = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
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
