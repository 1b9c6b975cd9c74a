"""The logs endpoint (logs.all), answered from tests/supabase/fake_logs.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.supabase.fake_api.model import (
    Reply,
)

# (method, path as the spec writes it, handler)
ROUTES = [
    ("GET", "/v1/projects/{ref}/analytics/endpoints/logs.all", "_logs_all"),
]


class LogsApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

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
