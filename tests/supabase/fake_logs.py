"""The project's log tables behind the stand-in's `logs.all` endpoint: edge function invocations, Auth
requests and the API gateway's requests with their time, path, status and duration, as Supabase's log sources
record them (function_edge_logs' metadata.execution_time_ms, request.pathname and response.status_code;
auth_logs' metadata.path, metadata.status and metadata.remote_addr; edge_logs' response.origin_time and
response.status_code, and for function calls request.path and the client's request.headers.cf_connecting_ip).

It cannot run Logflare's SQL: it recognizes the aggregate queries the metrics scraper sends (by their source
table and the conditions in ops/metrics/log_signals.py) and counts the events inside the asked range, so a
wrong window, a wrong table or a 4xx counted as a function error changes the figures a test sees. Any other
SQL is answered as Logflare answers a query it refuses: HTTP 200 with `error` set."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MAX_RANGE = timedelta(hours=24)  # the spec: "The timestamp range must be no more than 24 hours"


@dataclass
class LogTables:
    # (time, status code, function, execution time in ms, client address)
    function_calls: list[tuple[datetime, int, str, float, str]] = field(default_factory=list)
    # (time, path, status, client address)
    auth_requests: list[tuple[datetime, str, int, str]] = field(default_factory=list)
    gateway_requests: list[tuple[datetime, int, float]] = field(default_factory=list)  # (time, status, origin ms)
    queries: list[str] = field(default_factory=list)

    def call_functions(
        self,
        at: datetime,
        *statuses: int,
        function: str = "ai-chat",
        duration_ms: float = 120,
        client: str = "198.51.100.7",
    ) -> None:
        self.function_calls += [(at, status, function, duration_ms, client) for status in statuses]

    def gateway(self, at: datetime, *statuses: int, origin_ms: float = 40) -> None:
        self.gateway_requests += [(at, status, origin_ms) for status in statuses]

    def auth(self, at: datetime, path: str, *statuses: int, client: str = "198.51.100.7") -> None:
        self.auth_requests += [(at, path, status, client) for status in statuses]

    def answer(self, sql: str, start: datetime, end: datetime) -> tuple[int, dict[str, Any]]:
        if end - start > MAX_RANGE or end < start:
            return 400, {"message": "iso_timestamp_start and iso_timestamp_end must be at most 24 hours apart"}
        self.queries.append(sql)
        text = " ".join(sql.lower().split())
        start, end = _minute(start), _minute(end)  # the API rounds the range to the minute

        def inside(moment: datetime) -> bool:
            return start <= moment < end

        if text.startswith("select regexp_extract(request.pathname, '/functions/v1/([^/]+)') as function_name"):
            if "group by function_name, duration_ms" not in text or "from function_edge_logs" not in text:
                return 200, _refused("unknown grouping over function_edge_logs")
            calls = [
                (name, _rounded(ms), status) for moment, status, name, ms, _ in self.function_calls if inside(moment)
            ]
            return 200, {"result": _grouped(calls, "function_name", "duration_ms", "calls")}
        if "from edge_logs" in text and "group by latency_ms" in text and "response.origin_time" in text:
            requests = [(None, _rounded(ms), status) for moment, status, ms in self.gateway_requests if inside(moment)]
            rows = _grouped(requests, None, "latency_ms", "requests")
            return 200, {"result": rows}
        if "from edge_logs" in text and "count(distinct headers.cf_connecting_ip) as sources" in text:
            if "starts_with(request.path, '/functions/v1/')" not in text or "status_code >= 500" not in text:
                return 200, _refused("unknown count of sources over edge_logs")
            clients = {client for moment, status, *_, client in self.function_calls if inside(moment) and status >= 500}
            return 200, {"result": [{"sources": len(clients)}]}
        if "from function_edge_logs" in text and "unnest(m.response) as response" in text:
            statuses = [status for moment, status, *_ in self.function_calls if inside(moment)]
            if "countif(response.status_code >= 500) as errors" not in text:
                return 200, _refused("unknown aggregate over function_edge_logs")
            return 200, {"result": [{"invocations": len(statuses), "errors": sum(s >= 500 for s in statuses)}]}
        if "from auth_logs" in text and "m.path = '/token'" in text and "between 400 and 499" in text:
            failed = [
                client
                for moment, path, status, client in self.auth_requests
                if inside(moment) and path == "/token" and 400 <= status <= 499
            ]
            row: dict[str, int] = {"failed_sign_ins": len(failed)}
            if "count(distinct m.remote_addr) as sources" in text:
                row["sources"] = len(set(failed))
            return 200, {"result": [row]}
        return 200, _refused("the stand-in knows only the metrics scraper's queries")


def _rounded(ms: float) -> float:
    """BigQuery's round(x, -1) under a second, round(x, -2) above, as the scraper's query asks."""
    step = 10 if ms < 1000 else 100
    return float(math.floor(ms / step + 0.5) * step)  # half away from zero, not Python's half to even


def _grouped(
    events: list[tuple[str | None, float, int]], name_column: str | None, bucket_column: str, count_column: str
) -> list[dict[str, Any]]:
    groups: dict[tuple[str | None, float], list[int]] = {}
    for name, bucket, status in events:
        groups.setdefault((name, bucket), []).append(status)
    rows = []
    for (name, bucket), statuses in sorted(groups.items(), key=lambda item: (item[0][0] or "", item[0][1])):
        row: dict[str, Any] = {
            bucket_column: bucket,
            count_column: len(statuses),
            "errors": sum(s >= 500 for s in statuses),
        }
        if name_column:
            row[name_column] = name
        rows.append(row)
    return rows


def _minute(moment: datetime) -> datetime:
    return (moment + timedelta(seconds=30)).replace(second=0, microsecond=0)


def _refused(message: str) -> dict[str, Any]:
    return {
        "result": [],
        "error": {
            "code": 400,
            "message": message,
            "status": "INVALID_ARGUMENT",
            "errors": [
                {
                    "domain": "global",
                    "location": "q",
                    "locationType": "parameter",
                    "message": message,
                    "reason": "invalidQuery",
                }
            ],
        },
    }
