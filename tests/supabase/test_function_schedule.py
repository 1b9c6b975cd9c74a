"""Scheduled edge functions: function.json's `schedule`, and the provider that turns it into a pg_cron job
calling the function through pg_net with its key in Vault, through Pulumi's real provider host. The local
PostgreSQL has none of the three extensions: there the schedule is skipped with a log line; with stand-ins
built from the extensions' published interfaces (scheduling_standins.sql) the job is created, changed and
removed, and running its command queues the right request."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from providers.supabase.cron import cron_problem
from providers.supabase.errors import SupabaseError
from providers.supabase.function_bundle import read_manifest
from providers.supabase.function_schedule import FunctionScheduleProvider
from tests.harness.provider_host import ProviderHost, Secret

STANDINS = Path(__file__).with_name("scheduling_standins.sql")
KEY = "eyJ.service-role-key.for-the-schedule"
URL = "https://abcdefghijklmnopqrst.supabase.co/functions/v1/document-processor"


@pytest.fixture(scope="module")
def host():
    with ProviderHost() as running:
        yield running


@pytest.fixture
def supabase_like_db(fresh_db: str) -> str:
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(STANDINS.read_text())
    return fresh_db


def props(url: str, **extra: object) -> dict[str, object]:
    return {
        "connection": Secret(url),
        "slug": "document-processor",
        "schedule": "*/5 * * * *",
        "functionUrl": URL,
        "key": Secret(KEY),
        "keyDigest": Secret("digest-1"),
        "timeoutMilliseconds": 150000,
        **extra,
    }


def rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_without_pg_cron_pg_net_and_vault_the_schedule_is_skipped_with_a_log_line(host, fresh_db):
    created = host.create(FunctionScheduleProvider(), props(fresh_db))
    assert created.outs["scheduled"] is False
    assert created.outs["skippedReason"] == "the database has no pg_cron, pg_net, Vault"
    assert "function schedule document-processor (*/5 * * * *) skipped" in host.log_text()
    # Not retried by every deploy (each preview would show it as an update), and deleting touches nothing.
    assert host.diff(FunctionScheduleProvider(), created.id, created.outs, props(fresh_db)).changes is False
    host.delete(FunctionScheduleProvider(), created.id, created.outs)


def test_a_skipped_schedule_is_made_once_refresh_finds_the_extensions(host, fresh_db):
    skipped = host.create(FunctionScheduleProvider(), props(fresh_db))
    assert skipped.outs["skippedReason"]
    with psycopg.connect(fresh_db, autocommit=True) as conn:  # pg_cron, pg_net and Vault enabled since
        conn.execute(STANDINS.read_text())
    read = host.read(FunctionScheduleProvider(), skipped.id, skipped.outs)
    assert read.outs["scheduled"] is False and not read.outs.get("skippedReason")
    # Refresh cleared the reason, so the next deploy schedules it.
    assert host.diff(FunctionScheduleProvider(), skipped.id, read.outs, props(fresh_db)).changes is True
    made = host.update(FunctionScheduleProvider(), skipped.id, read.outs, props(fresh_db))
    assert made.outs["scheduled"] is True
    assert rows(fresh_db, "select count(*) from cron.job") == [(1,)]


def test_the_job_calls_the_function_with_the_key_read_from_vault(host, supabase_like_db):
    created = host.create(FunctionScheduleProvider(), props(supabase_like_db))
    assert created.outs["scheduled"] is True
    assert {"key", "connection"} <= set(created.secret_outputs)
    [(name, schedule, command)] = rows(supabase_like_db, "select jobname, schedule, command from cron.job")
    assert (name, schedule) == ("edge-function:document-processor", "*/5 * * * *")
    assert KEY not in command, "the key stays in Vault; the job reads it at each run"
    assert rows(supabase_like_db, "select name, secret from vault.secrets") == [
        ("edge-function:document-processor:key", KEY)
    ]
    with psycopg.connect(supabase_like_db) as conn:
        conn.execute(command)
        [(url, headers, timeout)] = conn.execute(
            "select url, headers, timeout_milliseconds from net.http_request_queue"
        ).fetchall()
    assert url == URL
    assert headers == {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}"}
    assert timeout == 150000
    assert json.dumps(created.outs, default=str).count(KEY) <= 1  # only the secret input itself


def test_a_new_schedule_and_a_rotated_key_change_the_one_job_and_the_one_secret(host, supabase_like_db):
    created = host.create(FunctionScheduleProvider(), props(supabase_like_db))
    news = props(supabase_like_db, schedule="0 * * * *", key=Secret("rotated-key"), keyDigest=Secret("digest-2"))
    assert host.diff(FunctionScheduleProvider(), created.id, created.outs, news).changes is True
    host.update(FunctionScheduleProvider(), created.id, created.outs, news)
    assert rows(supabase_like_db, "select schedule from cron.job") == [("0 * * * *",)]
    assert rows(supabase_like_db, "select secret from vault.secrets") == [("rotated-key",)]
    unchanged = host.diff(FunctionScheduleProvider(), created.id, {**news, "scheduled": True}, news)
    assert unchanged.changes is False


def test_deleting_removes_the_job_and_the_key(host, supabase_like_db):
    created = host.create(FunctionScheduleProvider(), props(supabase_like_db))
    host.delete(FunctionScheduleProvider(), created.id, created.outs)
    assert rows(supabase_like_db, "select count(*) from cron.job") == [(0,)]
    assert rows(supabase_like_db, "select count(*) from vault.secrets") == [(0,)]


def test_refresh_notices_a_job_removed_by_hand(host, supabase_like_db):
    created = host.create(FunctionScheduleProvider(), props(supabase_like_db))
    with psycopg.connect(supabase_like_db, autocommit=True) as conn:
        conn.execute("select cron.unschedule('edge-function:document-processor')")
    read = host.read(FunctionScheduleProvider(), created.id, created.outs)
    assert read.outs["scheduled"] is False


def test_check_refuses_a_bad_schedule_and_a_plain_http_url(host, fresh_db):
    result = host.check(
        FunctionScheduleProvider(), {}, props(fresh_db, schedule="61 * * * *", functionUrl="http://example.com/f")
    )
    assert not host.check(FunctionScheduleProvider(), {}, props(fresh_db, functionUrl="http://127.0.0.1:9/f")).failures
    assert {failure[0] for failure in result.failures} == {"schedule", "functionUrl"}


@pytest.mark.parametrize("expression", ["*/5 * * * *", "0 3 * * 1-5", "30 seconds", "0 0 $ * *", "0 12 * jan,jul sun"])
def test_pg_cron_expressions_are_accepted(expression):
    assert cron_problem(expression) is None


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("* * * *", "has 4 fields"),
        ("60 * * * *", "minute field '60' is outside 0-59"),
        ("*/0 * * * *", "step of 0"),
        ("0 0 * * $", "only allowed as the day of month"),
        ("every hour", "has 2 fields"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression, problem):
    assert problem in (cron_problem(expression) or "")


def test_function_json_schedule_is_read_and_a_bad_one_names_the_file(tmp_path):
    folder = tmp_path / "worker"
    folder.mkdir()
    (folder / "index.ts").write_text("Deno.serve(() => new Response());\n")
    (folder / "function.json").write_text('{"verify_jwt": true, "schedule": "*/10 * * * *"}')
    assert read_manifest(tmp_path, "worker").schedule == "*/10 * * * *"
    (folder / "function.json").write_text('{"schedule": "every 10 minutes"}')
    with pytest.raises(SupabaseError, match=r"functions/worker/function.json: schedule 'every 10 minutes' has 3 "):
        read_manifest(tmp_path, "worker")
