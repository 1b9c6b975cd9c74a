"""The Management API's read-only SQL endpoint (`POST /v1/projects/{ref}/database/query/read-only`, run as
`supabase_read_only_user`) as a `Query` for ops/metrics/database_figures.py.

Why this and not a database connection: the scheduled function then needs no PostgreSQL driver and no
database password, only the monitoring token (a read-only member: `database_read`, besides the logs
endpoint's `analytics_logs_read`). Standard library only, like the rest of ops/metrics.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from ops.metrics.database_figures import Query
from ops.metrics.gauges import MetricsError


def read_only_query(api_url: str, token: str, project_ref: str, timeout: float = 20.0) -> Query:
    url = f"{api_url.rstrip('/')}/v1/projects/{project_ref}/database/query/read-only"

    def run(sql: str) -> list[dict[str, Any]]:
        request = urllib.request.Request(
            url,
            data=json.dumps({"query": sql}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                answer = json.loads(response.read().decode() or "null")
        except urllib.error.HTTPError as exc:
            hint = {
                401: " (the monitoring token was refused: renew it, see docs/runbooks.md)",
                403: " (the token's user may not read this project's database: it needs database_read)",
                429: " (rate-limited; the next run tries again)",
            }.get(exc.code, "")
            detail = _message(exc) if exc.code in (400, 500) else ""
            raise MetricsError(
                f"the Management API's read-only SQL endpoint answered HTTP {exc.code}{hint}{detail}"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise MetricsError(f"the Management API could not be reached ({getattr(exc, 'reason', exc)})") from None
        except ValueError:
            raise MetricsError("the read-only SQL endpoint answered something that is not JSON") from None
        if not isinstance(answer, list) or not all(isinstance(row, dict) for row in answer):
            raise MetricsError("the read-only SQL endpoint's answer is not a list of rows")
        return answer

    return run


def _message(error: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(error.read().decode() or "{}")
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return f": {str(message)[:300]}" if message else ""
