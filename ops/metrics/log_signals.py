"""Guide 000 section 7.2's two signals that live in logs, not in the database's exporters: the edge functions'
error rate and failed sign-ins. Both are counted by the Management API's logs endpoint
(`GET /v1/projects/{ref}/analytics/endpoints/logs.all`, SQL over Supabase's log tables) for the last whole
five minutes, and published to CloudWatch beside the database's gauges.

Each signal also counts its distinct sources (client addresses), and the alarms watch a figure that is zero
unless enough sources share it (FailedSignInsFromManySources, FunctionErrorRateFromManySources): one client
hammering /token or provoking 5xx is visible on the dashboard but cannot page the team alone, as the database's
platform alerts need a number of distinct accounts (private.health_signal_thresholds).

Standard library and boto3 only: these files run in the scheduled Lambda function as they are.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.metrics.gauges import MetricsError

DEFAULT_MIN_SOURCES = 3  # alerts.failedSignInsMinSources and alerts.functionErrorsMinSources
WINDOW = timedelta(minutes=5)  # the schedule's period: each run counts the five minutes before it
# An answer 5xx is the function's failure; a 4xx is the caller's (a bad body, a refused token).
FUNCTION_ERRORS_SQL = (
    "select count(*) as invocations, countif(response.status_code >= 500) as errors "
    "from function_edge_logs cross join unnest(metadata) as m cross join unnest(m.response) as response"
)
# Who received the 5xx: the API gateway's log of the same calls carries the client's address (cf-connecting-ip
# is among the request headers Supabase keeps in edge_logs); function_edge_logs does not.
FUNCTION_ERROR_SOURCES_SQL = (
    "select count(distinct headers.cf_connecting_ip) as sources "
    "from edge_logs cross join unnest(metadata) as m cross join unnest(m.request) as request "
    "cross join unnest(request.headers) as headers cross join unnest(m.response) as response "
    "where starts_with(request.path, '/functions/v1/') and response.status_code >= 500"
)
# Auth answers a refused password or code at /token (grant_type password, pkce, id_token) with a 4xx;
# 429 is its own rate limit catching someone who keeps trying. remote_addr: the client Auth logs per request.
FAILED_SIGN_INS_SQL = (
    "select count(*) as failed_sign_ins, count(distinct m.remote_addr) as sources "
    "from auth_logs cross join unnest(metadata) as m "
    "where m.path = '/token' and cast(m.status as int64) between 400 and 499"
)


def window_ending(now: datetime) -> tuple[datetime, datetime]:
    """The last whole five minutes before `now`: the API rounds its range to the minute, so whole minutes
    make consecutive runs meet without overlapping."""
    end = now.astimezone(UTC).replace(second=0, microsecond=0)
    return end - WINDOW, end


def query_logs(
    api_url: str, token: str, project_ref: str, sql: str, start: datetime, end: datetime, timeout: float = 20.0
) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"sql": sql, "iso_timestamp_start": _iso(start), "iso_timestamp_end": _iso(end)})
    url = f"{api_url.rstrip('/')}/v1/projects/{project_ref}/analytics/endpoints/logs.all?{query}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read().decode() or "null")
    except urllib.error.HTTPError as exc:
        hint = {
            401: " (the logs access token was refused: renew it, see docs/runbooks.md)",
            403: " (the token's user may not read this project's logs: it needs analytics_logs_read)",
            429: " (rate-limited; the next run tries again)",
        }.get(exc.code, "")
        raise MetricsError(f"the Management API's logs endpoint answered HTTP {exc.code}{hint}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise MetricsError(f"the Management API could not be reached ({getattr(exc, 'reason', exc)})") from None
    except ValueError:
        raise MetricsError("the Management API's logs endpoint answered something that is not JSON") from None
    if not isinstance(answer, dict):
        raise MetricsError("the Management API's logs endpoint answered something that is not an object")
    if answer.get("error"):
        error = answer["error"]
        message = error.get("message", "") if isinstance(error, dict) else str(error)
        raise MetricsError(f"the logs query was refused: {message[:300]}")
    rows = answer.get("result")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise MetricsError("the logs endpoint's answer has no result rows")
    return rows


def count(rows: list[dict[str, Any]], column: str) -> int:
    """One aggregate row; no rows means nothing was logged in the window."""
    if not rows:
        return 0
    value = rows[0].get(column)
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MetricsError(f"the logs query's {column} is not a number ({value!r:.40})") from None


def log_signals(
    api_url: str,
    token: str,
    project_ref: str,
    now: datetime,
    *,
    failed_sign_ins_min_sources: int = DEFAULT_MIN_SOURCES,
    function_errors_min_sources: int = DEFAULT_MIN_SOURCES,
) -> dict[str, float]:
    """Metric name -> value for the window before `now`. No invocations: no error rate (not 0 %), so a quiet
    night is neither an alarm nor a reassurance. The ...FromManySources figures are the signal when at least
    the given number of distinct sources share it, else 0."""
    start, end = window_ending(now)
    functions = query_logs(api_url, token, project_ref, FUNCTION_ERRORS_SQL, start, end)
    invocations, errors = count(functions, "invocations"), count(functions, "errors")
    if errors > invocations:
        raise MetricsError(f"the logs query counted {errors} function errors in {invocations} invocations")
    error_sources = 0
    if errors:  # no 5xx, no one to count (and one query fewer)
        rows = query_logs(api_url, token, project_ref, FUNCTION_ERROR_SOURCES_SQL, start, end)
        error_sources = count(rows, "sources")
    sign_ins = query_logs(api_url, token, project_ref, FAILED_SIGN_INS_SQL, start, end)
    failed, sign_in_sources = count(sign_ins, "failed_sign_ins"), count(sign_ins, "sources")
    values: dict[str, float] = {
        "FunctionInvocations": invocations,
        "FunctionErrors": errors,
        "FunctionErrorSources": error_sources,
        "FailedSignIns": failed,
        "FailedSignInSources": sign_in_sources,
        "FailedSignInsFromManySources": failed if sign_in_sources >= failed_sign_ins_min_sources else 0,
    }
    if invocations:
        rate = round(100.0 * errors / invocations, 2)
        values["FunctionErrorRate"] = rate
        values["FunctionErrorRateFromManySources"] = rate if error_sources >= function_errors_min_sources else 0.0
    return values


UNITS = {"FunctionErrorRate": "Percent", "FunctionErrorRateFromManySources": "Percent"}


def publish_log_signals(
    api_url: str,
    token: str,
    project_ref: str,
    stack: str,
    cloudwatch: Any,
    *,
    namespace: str,
    now: datetime | None = None,
    failed_sign_ins_min_sources: int = DEFAULT_MIN_SOURCES,
    function_errors_min_sources: int = DEFAULT_MIN_SOURCES,
) -> dict[str, float]:
    moment = now or datetime.now(UTC)
    values = log_signals(
        api_url,
        token,
        project_ref,
        moment,
        failed_sign_ins_min_sources=failed_sign_ins_min_sources,
        function_errors_min_sources=function_errors_min_sources,
    )
    _, end = window_ending(moment)
    cloudwatch.put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "Stack", "Value": stack}],
                "Timestamp": end,
                "Value": value,
                "Unit": UNITS.get(name, "Count"),
            }
            for name, value in values.items()
        ],
    )
    return values


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
