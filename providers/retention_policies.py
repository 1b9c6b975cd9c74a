"""The dynamic provider that writes the stack's `retention` section into private.retention_policies, which the
daily pg_cron job (private.enforce_retention, migration 20261207154502) and `ops retention run` follow.

Props (inputs), as every CRUD call receives them:
  connection    the PostgreSQL URL; a Pulumi secret (it holds the password)
  policies      {table name: days to keep, or None to keep until the owner deletes}
Outputs: the same. `read` returns what the table holds, so `pulumi refresh` sees a policy changed by hand and the
next `pulumi up` puts the stack's value back. `delete` leaves the table as it is: removing the resource must not
make the job delete more (or less) than it last did without someone choosing so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

RESOURCE_ID = "retention-policies"


class RetentionPoliciesProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        policies = news.get("policies")
        if isinstance(policies, dict):
            for table, days in policies.items():
                if days is not None and (not isinstance(days, (int, float)) or not 1 <= days <= 36500):
                    failures.append(CheckFailure(f"policies.{table}", "must be a number of days (1-36500) or null"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = _normalised(olds.get("policies")) != _normalised(news.get("policies"))
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        _write(props["connection"], _normalised(props.get("policies")))
        return CreateResult(RESOURCE_ID, outs=props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _write(news["connection"], _normalised(news.get("policies")))
        return UpdateResult(outs=news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with psycopg.connect(props["connection"]) as conn:
            rows = conn.execute("select table_name, keep_days from private.retention_policies").fetchall()
        return ReadResult(id_, {**props, "policies": dict(rows)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def _normalised(policies: Any) -> dict[str, int | None]:
    # Numbers arrive from the engine as floats.
    return {str(k): (None if v is None else int(v)) for k, v in dict(policies or {}).items()}


def _write(connection: str, policies: dict[str, int | None]) -> None:
    with psycopg.connect(connection) as conn, conn.transaction():
        for table, days in sorted(policies.items()):
            conn.execute(
                "insert into private.retention_policies (table_name, keep_days) values (%s, %s) "
                "on conflict (table_name) do update set keep_days = excluded.keep_days, updated_at = now()",
                (table, days),
            )


@dataclass(frozen=True, kw_only=True)
class RetentionPoliciesArgs:
    connection: pulumi.Input[str]  # made a secret here: the URL carries the database password
    policies: Mapping[str, int | None]  # table name -> days to keep (None: until the owner deletes)


class RetentionPolicies(pulumi.dynamic.Resource, module="database", name="RetentionPolicies"):
    def __init__(self, name: str, args: RetentionPoliciesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {"connection": pulumi.Output.secret(args.connection), "policies": dict(args.policies)}
        super().__init__(RetentionPoliciesProvider(), name, props, opts)
