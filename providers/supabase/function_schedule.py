"""The dynamic provider that schedules one edge function on the project's database: a pg_cron job that calls the
function through pg_net, with the key it sends kept in Supabase Vault, as Supabase documents for scheduled
functions (https://supabase.com/docs/guides/functions/schedule-functions).

Props (inputs), as every CRUD call receives them:
  connection    the database URL (the project's pooler); a Pulumi secret
  slug          the function's name; the job is `edge-function:<slug>`, the Vault secret `edge-function:<slug>:key`
  schedule      the cron expression from the function's function.json
  functionUrl   https://<ref>.supabase.co/functions/v1/<slug>
  key           the key sent as `Authorization: Bearer` (the service-role key); a Pulumi secret, stored only in
                Vault: the job's command reads it from vault.decrypted_secrets at each run, so it never appears in
                cron.job, in this resource's outputs or in logs
  keyDigest     SHA-256 of the key, so a rotated key is noticed by the diff without comparing secrets
  timeoutMilliseconds   how long pg_net waits for the function's answer
Outputs add:
  scheduled     true when the job exists; false when the server has no pg_cron, pg_net or Vault (the local stack):
                then nothing is created and `skippedReason` says which is missing
  skippedReason, jobId
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import psycopg
import pulumi
from psycopg import sql
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from dbmigrate.connection import describe_target
from providers.supabase.base import UNKNOWN, is_unknown
from providers.supabase.cron import cron_problem
from stackconfig.urls import insecure_url_problem

SETTINGS = ("schedule", "functionUrl", "keyDigest", "timeoutMilliseconds", "connection")

# What each piece is, as the extension defines it; all three are needed.
CAPABILITIES = {
    "pg_cron": "select to_regprocedure('cron.schedule(text,text,text)') is not null",
    "pg_net": "select to_regprocedure('net.http_post(text,jsonb,jsonb,jsonb,integer)') is not null",
    "Vault": "select to_regprocedure('vault.create_secret(text,text,text,uuid)') is not null "
    "and to_regclass('vault.decrypted_secrets') is not null",
}


def job_name(slug: str) -> str:
    return f"edge-function:{slug}"


def secret_name(slug: str) -> str:
    return f"edge-function:{slug}:key"


def _log(message: str) -> None:
    # The provider host passes stderr on to the engine's log; pulumi.log needs an engine connection it may not have.
    print(message, file=sys.stderr, flush=True)


def missing_capabilities(conn: psycopg.Connection) -> list[str]:
    missing = []
    for name, query in CAPABILITIES.items():
        row = conn.execute(query).fetchone()
        if not (row and row[0]):
            missing.append(name)
    return missing


def job_command(conn: psycopg.Connection, slug: str, url: str, timeout_ms: int) -> str:
    """The SQL pg_cron runs: a POST to the function, the key read from Vault at run time."""
    return (
        sql.SQL(
            "select net.http_post("
            "url := {url}, "
            "headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization', "
            "'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = {secret})), "
            "body := jsonb_build_object('scheduled_at', now()), "
            "timeout_milliseconds := {timeout}) as request_id"
        )
        .format(url=sql.Literal(url), secret=sql.Literal(secret_name(slug)), timeout=sql.Literal(timeout_ms))
        .as_string(conn)
    )


class FunctionScheduleProvider(ResourceProvider):
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        schedule = news.get("schedule")
        if isinstance(schedule, str) and not is_unknown(schedule):
            problem = cron_problem(schedule)
            if problem:
                failures.append(CheckFailure("schedule", f"{schedule!r} {problem}"))
        url = news.get("functionUrl")
        if isinstance(url, str) and not is_unknown(url) and not _secure(url):
            failures.append(
                CheckFailure("functionUrl", "must be https:// (the key travels with each call); http only on loopback")
            )
        timeout = news.get("timeoutMilliseconds")
        if isinstance(timeout, int | float) and not 1000 <= timeout <= 600_000:
            failures.append(CheckFailure("timeoutMilliseconds", "must be between 1000 and 600000"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = ["slug"] if olds.get("slug") != news.get("slug") else []
        changed = replaces or [key for key in SETTINGS if news.get(key) == UNKNOWN or olds.get(key) != news.get(key)]
        # A job found missing (refresh saw it unscheduled, or the extensions enabled since a skip) is scheduled
        # again. A skip for want of the extensions is not retried by every deploy: a preview that always shows
        # the schedules as updates hides the one change a pull request makes. `pulumi up --refresh` after
        # enabling pg_cron and pg_net picks it up (read() clears the reason once they are there).
        if not olds.get("scheduled") and not olds.get("skippedReason"):
            changed = changed or ["scheduled"]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = _apply(props)
        return CreateResult(id_=f"{describe_target(props['connection'])}/{job_name(props['slug'])}", outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_apply(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        with psycopg.connect(props["connection"], connect_timeout=15) as conn:
            missing = missing_capabilities(conn)
            if missing:
                reason = f"the database has no {', '.join(missing)}"
                return ReadResult(id_=id_, outs={**props, "scheduled": False, "skippedReason": reason, "jobId": None})
            row = conn.execute(
                "select jobid, schedule from cron.job where jobname = %s", (job_name(props["slug"]),)
            ).fetchone()
        if row is None:  # unscheduled by hand, or never scheduled: the next deploy schedules it
            return ReadResult(id_=id_, outs={**props, "scheduled": False, "skippedReason": None, "jobId": None})
        return ReadResult(
            id_=id_,
            outs={**props, "scheduled": True, "skippedReason": None, "jobId": int(row[0]), "schedule": row[1]},
        )

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        with psycopg.connect(props["connection"], connect_timeout=15) as conn, conn.transaction():
            if missing_capabilities(conn):
                return
            if conn.execute("select 1 from cron.job where jobname = %s", (job_name(props["slug"]),)).fetchone():
                conn.execute("select cron.unschedule(%s)", (job_name(props["slug"]),))
            conn.execute("delete from vault.secrets where name = %s", (secret_name(props["slug"]),))


def _secure(url: str) -> bool:
    # The program's one rule for URLs a credential travels to: https, or http to loopback.
    return insecure_url_problem(url) is None


def _apply(props: dict[str, Any]) -> dict[str, Any]:
    slug = props["slug"]
    with psycopg.connect(props["connection"], connect_timeout=15) as conn:
        missing = missing_capabilities(conn)
        if missing:
            reason = f"the database has no {', '.join(missing)}"
            _log(
                f"function schedule {slug} ({props['schedule']}) skipped: {reason} (expected on the local stack; "
                "on Supabase enable the pg_cron and pg_net extensions, then run `pulumi up --refresh`)"
            )
            return {**props, "scheduled": False, "skippedReason": reason, "jobId": None}
        # The key and the job change together: a job never runs with a key it was not deployed with.
        with conn.transaction():
            existing = conn.execute("select id from vault.secrets where name = %s", (secret_name(slug),)).fetchone()
            if existing:
                conn.execute("select vault.update_secret(%s, %s)", (existing[0], props["key"]))
            else:
                conn.execute(
                    "select vault.create_secret(%s, %s, %s)",
                    (props["key"], secret_name(slug), f"Bearer key pg_cron sends to the {slug} edge function"),
                )
            command = job_command(conn, slug, props["functionUrl"], int(props.get("timeoutMilliseconds") or 150_000))
            row = conn.execute(
                "select cron.schedule(%s, %s, %s)", (job_name(slug), props["schedule"], command)
            ).fetchone()
    assert row is not None
    return {**props, "scheduled": True, "skippedReason": None, "jobId": int(row[0])}


@dataclass(frozen=True, kw_only=True)
class FunctionScheduleArgs:
    connection: pulumi.Input[str]  # a secret: the URL holds the database password
    slug: str
    schedule: str
    function_url: pulumi.Input[str]
    key: pulumi.Input[str]  # a secret: the service role's key
    key_digest: pulumi.Input[str]
    timeout_milliseconds: int


# A database resource (it runs SQL on the project, not the Management API), typed like the migrations.
class FunctionSchedule(pulumi.dynamic.Resource, module="database", name="FunctionSchedule"):
    scheduled: pulumi.Output[bool]
    skippedReason: pulumi.Output[str | None]
    jobId: pulumi.Output[int | None]

    def __init__(self, name: str, args: FunctionScheduleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props = {
            "connection": args.connection,
            "slug": args.slug,
            "schedule": args.schedule,
            "functionUrl": args.function_url,
            "key": args.key,
            "keyDigest": args.key_digest,
            "timeoutMilliseconds": args.timeout_milliseconds,
            "scheduled": None,
            "skippedReason": None,
            "jobId": None,
        }
        secret_outputs = pulumi.ResourceOptions(additional_secret_outputs=["key", "keyDigest", "connection"])
        super().__init__(FunctionScheduleProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret_outputs))
