"""The lifecycle workflow runs commands the CLI accepts, for both stacks, with what each needs, as the CI identity's
lifecycle role (tests/aws/test_ci_trust.py checks that role trusts the job's token)."""

from __future__ import annotations

import shlex

from ops.cli import build_parser
from tests.ops.test_workflows import load

DAILY = "env.DAILY == 'true'"


def _commands(job: dict) -> list[tuple[dict, object]]:
    steps = [step for step in job["steps"] if str(step.get("run", "")).startswith(".venv/bin/python -m ops")]
    return [
        (step, build_parser().parse_args(shlex.split(step["run"].replace("${{ matrix.stack }}", "staging"))[3:]))
        for step in steps
    ]


def test_the_daily_run_sweeps_erases_exports_archives_and_prunes_each_stack_and_publishes_its_counts():
    workflow = load("data-lifecycle.yml")
    crons = [entry["cron"] for entry in workflow["on"]["schedule"]]
    assert crons[0].split()[2:] == ["*", "*", "*"], "daily"
    job = workflow["jobs"]["lifecycle"]
    assert job["env"]["DAILY"] == "${{ github.event_name != 'schedule' || github.event.schedule == '17 4 * * *' }}"
    assert crons[0] == "17 4 * * *"
    assert [entry["stack"] for entry in job["strategy"]["matrix"]["include"]] == ["staging", "prod"]
    daily = [(step, p) for step, p in _commands(job) if str(step.get("if")).startswith(DAILY)]
    assert [(p.command, getattr(p, f"{p.command}_command", None)) for _, p in daily] == [
        ("storage", "sweep"),
        ("account", "process-requests"),
        ("export", "process-requests"),
        ("archive", "run"),
        ("backup-prune", None),
        ("backup-prune", None),
    ]
    primary, replica = daily[4][1], daily[5][1]
    assert primary.stack == replica.stack == "staging" and not primary.dry_run and not replica.dry_run
    assert (replica.bucket, replica.region) == ("$BACKUP_REPLICA_BUCKET", "$BACKUP_REPLICA_REGION")
    assert daily[5][0]["if"] == f"{DAILY} && env.BACKUP_REPLICA_BUCKET != ''", "only where there is a replica"
    assert {"BACKUP_BUCKET", "BACKUP_REPLICA_BUCKET", "BACKUP_REPLICA_REGION"} <= set(job["env"])
    sweep, erasures, archival = daily[0][1], daily[1][1], daily[3][1]
    assert erasures.stack == "staging", "each erasure records when the backups' copies of the account go"
    assert sweep.publish_metrics and sweep.stack == "staging" and not sweep.dry_run
    assert archival.publish_metrics and archival.stack == "staging" and not archival.restore_only
    for step, _ in daily[:4]:
        assert {"DATABASE_URL", "SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"} <= set(step["env"])
    assert {"STRIPE_SECRET_KEY", "RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET", "ARCHIVE_BUCKET"} <= set(daily[1][0]["env"])
    assert "ARCHIVE_BUCKET" in daily[2][0]["env"], "an export reads archived documents from the archive"
    assert "ARCHIVE_BUCKET" in daily[3][0]["env"]


def test_every_quarter_hour_only_the_opened_archived_documents_come_back():
    workflow = load("data-lifecycle.yml")
    assert workflow["on"]["schedule"][1]["cron"] == "*/15 * * * *"
    frequent = [
        (step, p) for step, p in _commands(workflow["jobs"]["lifecycle"]) if not str(step.get("if")).startswith(DAILY)
    ]
    assert len(frequent) == 1
    step, restore = frequent[0]
    assert step["if"] == "env.DAILY != 'true'"
    assert (restore.command, restore.archive_command, restore.restore_only) == ("archive", "run", True)
    assert "ARCHIVE_BUCKET" in step["env"]


def test_the_job_assumes_the_lifecycle_role_of_its_stack_with_an_oidc_token():
    workflow = load("data-lifecycle.yml")
    job = workflow["jobs"]["lifecycle"]
    assert workflow["permissions"]["id-token"] == "write"
    [configure] = [s for s in job["steps"] if "configure-aws-credentials" in str(s.get("uses", ""))]
    assert configure["with"]["role-to-assume"] == "${{ secrets[matrix.role] }}"
    assert {e["stack"]: e["role"] for e in job["strategy"]["matrix"]["include"]} == {
        "staging": "AWS_LIFECYCLE_ROLE_ARN_STAGING",
        "prod": "AWS_LIFECYCLE_ROLE_ARN_PROD",
    }
    commands = [i for i, s in enumerate(job["steps"]) if str(s.get("run", "")).startswith(".venv/bin/python -m ops")]
    assert job["steps"].index(configure) < min(commands), "credentials before the first command that needs them"
