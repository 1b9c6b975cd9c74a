"""Errors the Supabase providers raise: they name the operation, the resource and the fix, never a secret."""

from __future__ import annotations


class SupabaseError(Exception):
    """A Supabase call or state that stops the deployment."""


class SupabaseApiError(SupabaseError):
    """Supabase answered with an error (or never answered) for one operation on one resource."""

    def __init__(self, *, operation: str, resource: str, status: int | None, message: str, hint: str = "") -> None:
        self.operation = operation
        self.resource = resource
        self.status = status
        self.api_message = message
        answer = f"HTTP {status}" if status is not None else "no answer"
        text = f"Supabase {operation} for {resource} failed ({answer}): {message}"
        super().__init__(f"{text}. {hint}" if hint else text)


class SupabaseNotFound(SupabaseApiError):
    """The resource does not exist (HTTP 404, or the Storage API's 400 with statusCode 404)."""


class SupabaseRetriesExhausted(SupabaseApiError):
    """Every attempt of a retried call hit a transient failure."""


# Redactor lives with what every provider shares; imported here for the Supabase modules that use it.
from providers.base import Redactor  # noqa: E402

__all__ = ["Redactor", "SupabaseApiError", "SupabaseError", "SupabaseNotFound", "SupabaseRetriesExhausted"]
