"""The project's log tables behind the stand-in's `logs.all` endpoint: edge function invocations and Auth
requests with their time, path and status, as Supabase's log sources record them (function_edge_logs'
metadata.response.status_code; auth_logs' metadata.path and metadata.status).

It cannot run Logflare's SQL: it recognizes the aggregate queries the metrics scraper sends (by their source
table and the conditions in ops/metrics/log_signals.py) and counts the events inside the asked range, so a
wrong window, a wrong table or a 4xx counted as a function error changes the figures a test sees. Any other
SQL is answered as Logflare answers a query it refuses: HTTP 200 with `error` set."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

MAX_RANGE = timedelta(hours=24)  # the spec: "The timestamp range must be no more than 24 hours"


@dataclass
class LogTables:
    function_calls: list[tuple[datetime, int]] = field(default_factory=list)  # (time, status code)
    auth_requests: list[tuple[datetime, str, int]] = field(default_factory=list)  # (time, path, status)
    queries: list[str] = field(default_factory=list)

    def call_functions(self, at: datetime, *statuses: int) -> None:
        self.function_calls += [(at, status) for status in statuses]

    def auth(self, at: datetime, path: str, *statuses: int) -> None:
        self.auth_requests += [(at, path, status) for status in statuses]

    def answer(self, sql: str, start: datetime, end: datetime) -> tuple[int, dict[str, Any]]:
        if end - start > MAX_RANGE or end < start:
            return 400, {"message": "iso_timestamp_start and iso_timestamp_end must be at most 24 hours apart"}
        self.queries.append(sql)
        text = " ".join(sql.lower().split())
        start, end = _minute(start), _minute(end)  # the API rounds the range to the minute

        def inside(moment: datetime) -> bool:
            return start <= moment < end

        if "from function_edge_logs" in text and "unnest(m.response) as response" in text:
            statuses = [status for moment, status in self.function_calls if inside(moment)]
            if "countif(response.status_code >= 500) as errors" not in text:
                return 200, _refused("unknown aggregate over function_edge_logs")
            return 200, {"result": [{"invocations": len(statuses), "errors": sum(s >= 500 for s in statuses)}]}
        if "from auth_logs" in text and "m.path = '/token'" in text and "between 400 and 499" in text:
            failed = sum(
                1
                for moment, path, status in self.auth_requests
                if inside(moment) and path == "/token" and 400 <= status <= 499
            )
            return 200, {"result": [{"failed_sign_ins": failed}]}
        return 200, _refused("the stand-in knows only the metrics scraper's queries")


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
