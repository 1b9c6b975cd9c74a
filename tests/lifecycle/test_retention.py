"""Retention: each table keeps its rows for the stack's period and no longer, analytics partitions go whole, a
capped pass leaves the rest for the next, and the stack's `retention` section reaches the table the job reads
(through the provider, in Pulumi's real provider host)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from providers.retention_policies import RetentionPoliciesProvider
from stackconfig.errors import ConfigError
from stackconfig.loader import validate_config
from stackconfig.retention import RetentionConfig
from tests.harness.provider_host import ProviderHost, Secret
from tests.lifecycle.objects import new_user

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _dated(conn: psycopg.Connection, sql: str, days_ago: float, *params: object) -> None:
    conn.execute(sql, (*params, f"{days_ago} days"))


def _seed(conn: psycopg.Connection, user: str, days_ago: float) -> None:
    conversation = conn.execute(
        "insert into public.conversations (user_id, title) values (%s, 'c') returning id", (user,)
    ).fetchone()[0]
    age = "now() - %s::interval"
    _dated(
        conn,
        f"insert into public.usage_metrics (user_id, action, created_at) values (%s, 'ai-chat', {age})",
        days_ago,
        user,
    )
    _dated(
        conn,
        f"insert into public.analytics_events (user_id, event_type, created_at) values (%s, 'page_view', {age})",
        days_ago,
        user,
    )
    _dated(conn, f"insert into public.audit_log (action, table_name, created_at) values ('TEST', 't', {age})", days_ago)
    _dated(
        conn,
        "insert into public.messages (conversation_id, user_id, role, content, created_at) "
        f"values (%s, %s, 'user', 'hi', {age})",
        days_ago,
        conversation,
        user,
    )
    _dated(conn, f"insert into private.system_alerts (alert_type, raised_at) values ('test', {age})", days_ago)
    _dated(
        conn,
        'insert into public.performance_metrics (function_name, execution_time_ms, "timestamp") '
        f"values ('f', 1, {age})",
        days_ago,
    )
    for status in ("processed", "failed"):
        _dated(
            conn,
            "insert into public.webhook_events (provider, event_id, event_type, payload, status, "
            f"received_at) values ('stripe', gen_random_uuid()::text, 'x', '{{}}', %s, {age})",
            days_ago,
            status,
        )


COUNTS = {
    "usage_metrics": "select count(*) from public.usage_metrics",
    "analytics_events": "select count(*) from public.analytics_events",
    "audit_log": "select count(*) from public.audit_log where action = 'TEST'",
    "messages": "select count(*) from public.messages",
    "system_alerts": "select count(*) from private.system_alerts",
    "performance_metrics": "select count(*) from public.performance_metrics",
    "webhook_events processed": "select count(*) from public.webhook_events where status = 'processed'",
    "webhook_events failed": "select count(*) from public.webhook_events where status = 'failed'",
}


def _counts(conn: psycopg.Connection) -> dict[str, int]:
    return {name: conn.execute(sql).fetchone()[0] for name, sql in COUNTS.items()}


def test_each_table_keeps_its_rows_for_its_period_and_no_longer(lifecycle_db: str):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        _seed(conn, user, 1)  # younger than every period
        _seed(conn, user, 100)  # older than usage (90), alerts, webhooks (90), performance (30); not the others
        _seed(conn, user, 800)  # older than every period but the messages' (kept)
        result = conn.execute("select private.enforce_retention()").fetchone()[0]
        assert _counts(conn) == {
            "usage_metrics": 1,
            "analytics_events": 2,
            "audit_log": 2,
            "messages": 3,
            "system_alerts": 1,
            "performance_metrics": 1,
            "webhook_events processed": 1,
            "webhook_events failed": 3,
        }
    assert result["usage_metrics"] == 2 and result["audit_log"] == 1 and "messages" not in result


def test_old_analytics_partitions_are_dropped_whole_and_the_rest_trimmed(lifecycle_db: str):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        conn.execute("select private.ensure_analytics_data_partitions(1, 2024)")
        for day in ("2024-03-01", "2024-09-01", "2025-01-10", "2026-06-01"):
            conn.execute(
                "insert into public.analytics_data (user_id, metric_type, metric_value, date_recorded) "
                "values (%s, 'documents_uploaded', 1, %s)",
                (user, day),
            )
        conn.execute(
            "update private.retention_policies set keep_days = current_date - date '2025-02-01' "
            "where table_name = 'analytics_data'"
        )
        result = conn.execute("select private.enforce_retention()").fetchone()[0]
        left = [str(r[0]) for r in conn.execute("select date_recorded from public.analytics_data order by 1")]
        partition_2024 = conn.execute("select to_regclass('partitions.analytics_data_2024')").fetchone()[0]
    assert partition_2024 is None, "the 2024 partition lies wholly before the cut: dropped, not emptied"
    assert left == ["2026-06-01"] and result["analytics_data"] == 3


def test_a_capped_pass_leaves_the_rest_for_the_next(lifecycle_db: str):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        user = new_user(conn)
        for _ in range(5):
            _dated(
                conn,
                "insert into public.usage_metrics (user_id, action, created_at) "
                "values (%s, 'ai-chat', now() - %s::interval)",
                200,
                user,
            )
        removed = [
            conn.execute("select private.enforce_retention(2, 1)").fetchone()[0]["usage_metrics"] for _ in range(4)
        ]
    assert removed == [2, 2, 1, 0]


def test_the_stacks_retention_reaches_the_table_the_job_reads(lifecycle_db: str, tmp_path: Path):
    policies = RetentionConfig.model_validate({"usageMetricsDays": 7, "messagesDays": 365}).policies()
    props = {"connection": Secret(lifecycle_db), "policies": policies}
    with ProviderHost(cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT)}) as host:
        created = host.create(RetentionPoliciesProvider(), props)
        with psycopg.connect(lifecycle_db, autocommit=True) as conn:
            conn.execute("update private.retention_policies set keep_days = 1 where table_name = 'audit_log'")
        read = host.read(RetentionPoliciesProvider(), created.id, props)
        host.update(RetentionPoliciesProvider(), created.id, props, props)
    assert read.outs["policies"]["audit_log"] == 1, "a refresh sees a period changed by hand"
    with psycopg.connect(lifecycle_db) as conn:
        table = dict(conn.execute("select table_name, keep_days from private.retention_policies").fetchall())
    assert table == {**policies, "usage_metrics": 7, "messages": 365}
    assert table["audit_log"] == 730, "the next update puts the stack's value back"


def test_a_retention_too_short_for_its_purpose_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match=r"retention\.auditLogDays"):
        validate_config({"retention": {"auditLogDays": 3}}, stack_file="Pulumi.prod.yaml")


def test_an_archive_wait_under_glacier_irs_90_billed_days_is_refused_and_is_no_tables_policy():
    with pytest.raises(ConfigError, match=r"retention\.archiveAfterDays"):
        validate_config({"retention": {"archiveAfterDays": 30}}, stack_file="Pulumi.prod.yaml")
    retention = RetentionConfig.model_validate({"archiveAfterDays": 365})
    assert retention.archive_after_days == 365
    assert "archive_after" not in retention.policies(), "the archival job reads it, not the retention job"


def test_ops_retention_run_makes_one_pass_and_prints_what_it_removed(
    lifecycle_db: str, capsys: pytest.CaptureFixture[str]
):
    from ops.cli import main

    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        _seed(conn, new_user(conn), 800)
    assert main(["retention", "run", "--dry-run", "--database-url", lifecycle_db]) == 0
    assert "messages: kept until its owner deletes it" in capsys.readouterr().out
    assert main(["retention", "run", "--database-url", lifecycle_db]) == 0
    assert '"usage_metrics": 1' in capsys.readouterr().out
