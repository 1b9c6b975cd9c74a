"""The daily lifecycle workflow runs commands the CLI accepts, for both stacks, with what each needs."""

from __future__ import annotations

import shlex

from ops.cli import build_parser
from tests.ops.test_workflows import load


def test_the_daily_workflow_sweeps_then_finishes_requested_erasures_and_exports_for_each_stack():
    workflow = load("data-lifecycle.yml")
    assert workflow["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"], "daily"
    job = workflow["jobs"]["lifecycle"]
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["staging", "prod"]
    steps = [step for step in job["steps"] if str(step.get("run", "")).startswith(".venv/bin/python -m ops")]
    parsed = [build_parser().parse_args(shlex.split(step["run"])[3:]) for step in steps]
    assert [(p.command, getattr(p, f"{p.command}_command")) for p in parsed] == [
        ("storage", "sweep"),
        ("account", "process-requests"),
        ("export", "process-requests"),
    ]
    # No AWS role is registered for this job (tests/aws/test_ci_trust.py): the counts stay in the database.
    assert not parsed[0].publish_metrics and not parsed[0].dry_run
    assert not any("configure-aws-credentials" in str(step.get("uses", "")) for step in job["steps"])
    for step in steps:
        assert {"DATABASE_URL", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"} <= set(step["env"])
    assert {"STRIPE_SECRET_KEY", "RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"} <= set(steps[1]["env"])
