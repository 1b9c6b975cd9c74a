"""POST /rest/v1/rpc/provider_spend_by_day as PostgREST serves it, for the spend meter's tests: the key in apikey
and Authorization, the arguments as a JSON object, the rows as a JSON array, executed as the key's role
(service_role)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import psycopg

SERVICE_KEY = "service-role-key-for-the-rpc"


def spend_rpc(database_url: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != "/rest/v1/rpc/provider_spend_by_day":
                return self._answer(404, {"message": "not found"})
            if (
                self.headers.get("apikey") != SERVICE_KEY
                or self.headers.get("Authorization") != f"Bearer {SERVICE_KEY}"
            ):
                return self._answer(401, {"message": "Invalid API key"})
            args = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with psycopg.connect(database_url, autocommit=True) as conn, conn.transaction():
                conn.execute("set local role service_role")
                rows = conn.execute(
                    "select day::text, unit, spend_usd::float8 from public.provider_spend_by_day(%s::date)",
                    (args["p_since"],),
                ).fetchall()
            self._answer(200, [{"day": d, "unit": u, "spend_usd": s} for d, u, s in rows])

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
