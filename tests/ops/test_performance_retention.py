"""performance_metrics, the rows every function's shared frame writes (sampled), are covered by retention: the
daily pass removes them once older than retention.performanceMetricsDays, and the key cannot keep them forever or
for less than the week `ops report` plots."""

from __future__ import annotations

import psycopg
import pytest

from ops.report.data import read_report_data
from ops.sql_query import connection_query
from stackconfig.errors import ConfigError
from stackconfig.loader import validate_config


@pytest.mark.parametrize("days", [None, 3])
def test_performance_rows_cannot_be_kept_forever_or_shorter_than_the_weekly_review(days):
    with pytest.raises(ConfigError, match=r"retention\.performanceMetricsDays"):
        validate_config({"retention": {"performanceMetricsDays": days}}, stack_file="Pulumi.prod.yaml")
    assert validate_config({"retention": {"performanceMetricsDays": 7}}, stack_file="Pulumi.prod.yaml")


def test_the_frames_rows_past_their_period_go_and_the_weeks_rows_stay(migrated_copy):
    with psycopg.connect(migrated_copy, autocommit=True) as conn:
        for days in (2, 29, 31, 90):
            # The row the frame writes (functions/_shared/performance.ts), dated back.
            conn.execute(
                "insert into public.performance_metrics (function_name, execution_time_ms, memory_used_mb, "
                'heap_used_mb, success, user_tier, metadata, "timestamp") values '
                "('ai-chat', 120, 40, 20, true, 'premium', '{\"status\": 200}', now() - make_interval(days => %s))",
                (days,),
            )
        [removed] = conn.execute("select private.enforce_retention()").fetchone()
        left = [r[0] for r in conn.execute('select now()::date - "timestamp"::date from public.performance_metrics')]
    assert removed["performance_metrics"] == 2, "the default period is 30 days"
    assert sorted(left) == [2, 29]
    [day] = read_report_data(connection_query(migrated_copy), days=7).function_days
    assert (day.function, day.calls) == ("ai-chat", 1), "the weekly review still sees its week"
