"""What the service settings groups share (api_settings, storage_settings, pooler_settings): a flat map of the
fields a stack configures, checked against each field's type and range, sent only when it changed, and read back
from the API on refresh so a setting changed behind our back shows as drift.

Props of every group:
  managementApiUrl, projectRef
  settings   {field: value}: only these fields are sent and compared; the project's others are left alone
Deleting a group's resource leaves the project's settings as they are: the API has no "reset", and the values
are the project's, not the stack's, once applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from providers.supabase.base import SupabaseProvider, changed_keys, diff_result, is_unknown, require_ref
from providers.supabase.client import ManagementClient
from providers.supabase.errors import SupabaseNotFound


@dataclass(frozen=True)
class Field:
    kind: type
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False  # null is a value the API accepts (e.g. "size automatically")

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None if self.nullable else "may not be null"
        if self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
                return "must be an integer"
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum}"
            return None
        if not isinstance(value, self.kind):
            return f"must be a {self.kind.__name__}"
        if self.choices and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}"
        return None

    def normal(self, value: Any) -> Any:
        """The engine hands numbers back as floats."""
        return int(value) if self.kind is int and value is not None else value


class SettingsGroupProvider(SupabaseProvider):
    """One group of a project's settings behind one read and one write of the Management API."""

    group = ""  # named in every error: "Data API settings"
    fields: dict[str, Field] = {}

    def fetch(self, client: ManagementClient, ref: str) -> dict[str, Any]:
        """Every field of the group as the API reports it now."""
        raise NotImplementedError

    def send(self, client: ManagementClient, ref: str, changes: dict[str, Any]) -> None:
        raise NotImplementedError

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures: list[CheckFailure] = []
        require_ref(news, failures)
        settings = news.get("settings") or {}
        if not is_unknown(settings):
            for key, value in settings.items():
                field = self.fields.get(key)
                if field is None:
                    failures.append(
                        CheckFailure("settings", f"{key} is not one of the {self.group}: {', '.join(self.fields)}")
                    )
                elif not is_unknown(value) and (problem := field.problem(value)):
                    failures.append(CheckFailure("settings", f"{self.group}: {key} {problem}"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = ("settings", "managementApiUrl", "projectRef")
        return diff_result(changed_keys(olds, news, keys), replace_keys=("projectRef",))

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._apply(props, {})
        return CreateResult(f"{props['projectRef']}-{type(self).__name__}", self._normalized(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._apply(news, olds)
        return UpdateResult(self._normalized(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        configured = props.get("settings") or {}
        try:
            actual = self.fetch(self.management(props), props["projectRef"]) if configured else {}
        except SupabaseNotFound:
            return ReadResult(None, {})
        settings = {key: self.fields[key].normal(actual.get(key)) for key in configured if key in self.fields}
        return ReadResult(id_, {**props, "settings": settings})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None

    def _apply(self, news: dict[str, Any], olds: dict[str, Any]) -> None:
        new, old = self._normalized(news)["settings"], self._normalized(olds).get("settings") or {}
        changes = {key: value for key, value in new.items() if key not in old or old[key] != value}
        if changes:
            self.send(self.management(news), news["projectRef"], changes)

    def _normalized(self, props: dict[str, Any]) -> dict[str, Any]:
        settings = props.get("settings") or {}
        return {**props, "settings": {key: self.fields[key].normal(value) for key, value in settings.items()}}
