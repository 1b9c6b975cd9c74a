"""The read-only SQL endpoint (database/query/read-only), run on a real PostgreSQL by tests/supabase/fake_sql.py."""

from __future__ import annotations

from typing import Any

from tests.supabase.fake_api.model import Reply
from tests.supabase.fake_sql import run_read_only

# (method, path as the spec writes it, handler)
ROUTES = [
    ("POST", "/v1/projects/{ref}/database/query/read-only", "_read_only_query"),
]


class DatabaseQueryApi:
    """Mixed into FakeSupabase (tests/supabase/fake_api/server.py), whose state and helpers these use."""

    def _read_only_query(self, params: dict[str, str], body: dict[str, Any], *_: Any) -> Any:
        status, answer = run_read_only(self._project(params).database_url, body["query"])  # type: ignore[attr-defined]
        if status != 201:
            raise Reply(status, answer)
        return status, answer
