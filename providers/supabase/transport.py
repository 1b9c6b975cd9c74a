"""HTTP with the manners Supabase expects: timeouts, pacing, retries that honour its reset headers.

Shared by the Management API client and the per-project Storage API client. Every message this module
raises or logs goes through a Redactor that knows the token and every secret the caller registered.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from providers.supabase.errors import (
    Redactor,
    SupabaseApiError,
    SupabaseNotFound,
    SupabaseRetriesExhausted,
)
from providers.supabase.pacing import SHARED_PACER, Pacer, limit_for

LOG = logging.getLogger("providers.supabase")
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = "ai-platform-infra (pulumi dynamic provider)"


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    backoff_seconds: float = 1.0
    max_delay_seconds: float = 60.0
    timeout_seconds: float = 30.0

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        """Tests and slow networks tune these with SUPABASE_API_* variables; the defaults suit production."""
        defaults = cls()
        return cls(
            attempts=int(os.environ.get("SUPABASE_API_ATTEMPTS", defaults.attempts)),
            backoff_seconds=float(os.environ.get("SUPABASE_API_BACKOFF_SECONDS", defaults.backoff_seconds)),
            max_delay_seconds=float(os.environ.get("SUPABASE_API_MAX_DELAY_SECONDS", defaults.max_delay_seconds)),
            timeout_seconds=float(os.environ.get("SUPABASE_API_TIMEOUT_SECONDS", defaults.timeout_seconds)),
        )


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


# Reads the real status out of an error answer: the Storage API says 400 and puts 404/409 in the body.
StatusReader = Callable[[requests.Response, Any], int]


def plain_status(response: requests.Response, _body: Any) -> int:
    return response.status_code


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        headers: Mapping[str, str],
        redactor: Redactor,
        policy: RetryPolicy | None = None,
        pacer: Pacer = SHARED_PACER,
        status_reader: StatusReader = plain_status,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.redact = redactor
        self._headers = {"User-Agent": USER_AGENT, **headers}
        self._policy = policy or RetryPolicy.from_environment()
        self._pacer = pacer
        self._status_reader = status_reader
        self._sleep = sleep

    def send(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        resource: str,
        idempotent: bool | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        files: list[tuple[str, tuple[str | None, bytes | str, str]]] | None = None,
        hint: str = "",
    ) -> Answer:
        """One logical call; retried only when repeating it cannot do the work twice."""
        if idempotent is None:
            idempotent = method.upper() in ("GET", "PUT", "DELETE", "HEAD")
        policy = self._policy
        endpoint = f"{method.upper()} {path}"
        failure = ""
        for attempt in range(1, policy.attempts + 1):
            self._pacer.wait(endpoint, limit_for(path))
            delay: float | None = None
            try:
                response = requests.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=json,
                    files=files,
                    headers=self._headers,
                    timeout=policy.timeout_seconds,
                )
            except requests.Timeout as exc:
                failure = f"no answer within {policy.timeout_seconds:g}s"
                # A connect timeout never reached Supabase, so even a create may be sent again.
                if not (idempotent or isinstance(exc, requests.ConnectTimeout)):
                    raise self._ambiguous(operation, resource, failure) from None
            except requests.ConnectionError as exc:
                failure = f"connection failed ({type(exc).__name__})"
                if not idempotent:
                    raise self._ambiguous(operation, resource, failure) from None
            else:
                body = _decode(response)
                status = response.status_code
                if status < 400:
                    return Answer(status, body, response.headers)
                real_status = self._status_reader(response, body)
                message = self.redact(_message(body, response))
                retryable = real_status in RETRYABLE_STATUSES and (idempotent or real_status == 429)
                if not retryable:
                    error_type = SupabaseNotFound if real_status == 404 else SupabaseApiError
                    raise error_type(
                        operation=operation, resource=resource, status=real_status, message=message, hint=hint
                    )
                failure = f"HTTP {real_status}: {message}"
                delay = _server_delay(response.headers)
            if attempt == policy.attempts:
                break
            if delay is None:
                delay = policy.backoff_seconds * (2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
            delay = min(delay, policy.max_delay_seconds)
            LOG.warning(
                self.redact(
                    f"Supabase {operation} for {resource}: {failure}; retrying in {delay:.1f}s "
                    f"(attempt {attempt + 1} of {policy.attempts})"
                )
            )
            self._sleep(delay)
        raise SupabaseRetriesExhausted(
            operation=operation,
            resource=resource,
            status=None,
            message=self.redact(f"{failure} on each of {policy.attempts} attempts"),
            hint=hint or "Supabase may be degraded (https://status.supabase.com); run the deployment again later.",
        )

    def _ambiguous(self, operation: str, resource: str, failure: str) -> SupabaseApiError:
        return SupabaseApiError(
            operation=operation,
            resource=resource,
            status=None,
            message=self.redact(failure),
            hint="The request may or may not have been applied, so it was not repeated blindly.",
        )


def _decode(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _message(body: Any, response: requests.Response) -> str:
    if isinstance(body, Mapping):
        for key in ("message", "error", "msg", "error_description"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:500]
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return response.reason or "no message"


def _server_delay(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait as the server asked: X-RateLimit-Reset (seconds, or an epoch time) or Retry-After."""
    for name in ("X-RateLimit-Reset", "Retry-After"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            continue
        if value > 1_000_000_000:  # an absolute epoch time rather than a number of seconds
            value -= time.time()
        return max(value, 0.0)
    return None
