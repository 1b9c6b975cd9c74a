"""Every workflow job that assumes an AWS role presents an OIDC subject that role trusts: read from the
workflow files and from the trust policies the staging and prod programs register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.engineless.program import ProgramRun
from tests.aws.helpers import all_of, as_list, one, policy, statement
from tests.aws.workflow_roles import RoleUse, load_workflow, role_uses, untrusted

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
REPOSITORY = "example-org/ai-platform"  # githubRepository of both stack files
SUB = "token.actions.githubusercontent.com:sub"
# The repository secrets docs/runbooks.md tells the operator to fill from each stack's CI identity.
ROLE_SECRETS = {
    "AWS_DEPLOY_ROLE_ARN_STAGING": ("staging", "ci-identity-deploy"),
    "AWS_PREVIEW_ROLE_ARN_STAGING": ("staging", "ci-identity-preview"),
    "AWS_DEPLOY_ROLE_ARN_PROD": ("prod", "ci-identity-deploy"),
    "AWS_PREVIEW_ROLE_ARN_PROD": ("prod", "ci-identity-preview"),
    "AWS_LIFECYCLE_ROLE_ARN_STAGING": ("staging", "ci-identity-lifecycle"),
    "AWS_LIFECYCLE_ROLE_ARN_PROD": ("prod", "ci-identity-lifecycle"),
}


def trusted_subjects(run: ProgramRun, role_name: str) -> set[str]:
    (trust,) = json.loads(one(run, "aws:iam/role:Role", role_name).inputs["assumeRolePolicy"])["Statement"]
    return set(as_list(trust["Condition"]["StringEquals"][SUB]))


@pytest.fixture(scope="module")
def trust(staging: ProgramRun, prod: ProgramRun) -> dict[str, set[str]]:
    runs = {"staging": staging, "prod": prod}
    return {secret: trusted_subjects(runs[stack], role) for secret, (stack, role) in ROLE_SECRETS.items()}


def all_role_uses() -> list[RoleUse]:
    return [use for path in sorted(WORKFLOWS.glob("*.yml")) for use in role_uses(path, REPOSITORY)]


def test_every_job_that_assumes_a_role_presents_a_subject_the_role_trusts(trust):
    uses = all_role_uses()
    assert {use.workflow for use in uses} == {
        "deploy.yml",
        "preview.yml",
        "drift.yml",
        "backup-drill.yml",
        "data-lifecycle.yml",
    }
    assert untrusted(uses, trust) == []


def test_the_staging_deploy_job_signs_in_as_its_environment(trust):
    [staging] = [u for u in all_role_uses() if (u.workflow, u.job) == ("deploy.yml", "staging")]
    assert staging.subject == f"repo:{REPOSITORY}:environment:staging"
    assert staging.secrets == ("AWS_DEPLOY_ROLE_ARN_STAGING",)
    assert trust["AWS_DEPLOY_ROLE_ARN_STAGING"] == {
        f"repo:{REPOSITORY}:ref:refs/heads/main",
        f"repo:{REPOSITORY}:environment:staging",
    }
    assert trust["AWS_DEPLOY_ROLE_ARN_PROD"] == {f"repo:{REPOSITORY}:ref:refs/heads/main"}, (
        "prod's role trusts no environment: its up runs after the approval job, on main"
    )


def test_the_check_refuses_the_staging_role_that_trusts_only_the_branch(trust):
    # The program as it was: the staging deploy role trusted `ref:refs/heads/main` alone.
    before = {**trust, "AWS_DEPLOY_ROLE_ARN_STAGING": {f"repo:{REPOSITORY}:ref:refs/heads/main"}}
    problems = untrusted(all_role_uses(), before)
    assert problems == [
        f"deploy.yml job staging (repo:{REPOSITORY}:environment:staging): "
        f"AWS_DEPLOY_ROLE_ARN_STAGING trusts only ['repo:{REPOSITORY}:ref:refs/heads/main']"
    ]


def test_the_check_refuses_a_job_moved_into_an_environment_its_role_does_not_trust(trust, tmp_path: Path):
    workflow = load_workflow(WORKFLOWS / "deploy.yml")
    workflow["jobs"]["production"]["environment"] = "production"
    changed = tmp_path / "deploy.yml"
    changed.write_text(json.dumps(workflow))  # JSON is YAML
    problems = untrusted(list(role_uses(changed, REPOSITORY)), trust)
    assert len(problems) == 1 and "job production" in problems[0] and "environment:production" in problems[0]


def test_the_check_refuses_a_job_without_an_oidc_token_or_with_an_unknown_role(trust, tmp_path: Path):
    workflow = load_workflow(WORKFLOWS / "drift.yml")
    workflow["permissions"].pop("id-token")
    for entry in workflow["jobs"]["drift"]["strategy"]["matrix"]["include"]:
        entry.pop("fallback_role")
    drift = workflow["jobs"]["drift"]
    for step in drift["steps"]:
        if "role-to-assume" in step.get("with", {}):
            step["with"]["role-to-assume"] = "${{ secrets[matrix.role] }}"
    changed = tmp_path / "drift.yml"
    changed.write_text(json.dumps(workflow))
    problems = untrusted(list(role_uses(changed, REPOSITORY)), trust)
    assert any("no `id-token: write`" in p for p in problems)
    assert any("AWS_DRIFT_ROLE_ARN_PROD'] is a role the program registers" in p for p in problems)


def test_the_lifecycle_role_trusts_only_its_stacks_lifecycle_environment(trust):
    assert trust["AWS_LIFECYCLE_ROLE_ARN_STAGING"] == {f"repo:{REPOSITORY}:environment:data-lifecycle-staging"}
    assert trust["AWS_LIFECYCLE_ROLE_ARN_PROD"] == {f"repo:{REPOSITORY}:environment:data-lifecycle-prod"}
    [staging_job] = [
        u for u in all_role_uses() if u.workflow == "data-lifecycle.yml" and u.matrix["stack"] == "staging"
    ]
    swapped = {**trust, "AWS_LIFECYCLE_ROLE_ARN_STAGING": trust["AWS_LIFECYCLE_ROLE_ARN_PROD"]}
    assert untrusted([staging_job], swapped), "staging's job is refused prod's role"


def test_the_lifecycle_role_may_put_its_metrics_move_archived_files_and_prune_copies_and_nothing_else(
    deployed: ProgramRun,
):
    assert not [
        a
        for a in all_of(deployed, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.name.startswith("ci-identity-lifecycle")
    ], "no managed policy"
    document = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "ci-identity-lifecycle-policy"))
    archive = one(deployed, "aws:s3/bucket:Bucket", "document-archive-bucket").outputs["arn"]
    allowed = {
        (sid["Sid"], action, str(resource))
        for sid in document["Statement"]
        for action in as_list(sid["Action"])
        for resource in as_list(sid["Resource"])
    }
    expected = {
        ("PutLifecycleMetrics", "cloudwatch:PutMetricData", "*"),
        ("ListArchive", "s3:ListBucket", archive),
        ("MoveArchivedFiles", "s3:GetObject", f"{archive}/*"),
        ("MoveArchivedFiles", "s3:PutObject", f"{archive}/*"),
        ("MoveArchivedFiles", "s3:DeleteObject", f"{archive}/*"),
        ("MoveArchivedFiles", "s3:AbortMultipartUpload", f"{archive}/*"),
    }
    backups = [
        (
            one(deployed, "aws:s3/bucket:Bucket", bucket).outputs["arn"],
            one(deployed, "aws:kms/key:Key", key).outputs["arn"],
        )
        for bucket, key in (("backups-bucket", "backups-key"), ("backup-replica-bucket", "backup-replica-key"))
    ]
    prefix = f"backups/{deployed.stack}/"
    for index, (bucket, key) in enumerate(backups):
        expected |= {
            (f"ListBackups{index}", "s3:ListBucket", bucket),
            (f"ReadStorageIndexes{index}", "s3:GetObject", f"{bucket}/{prefix}*/storage-index.json"),
            (f"PruneStorageCopies{index}", "s3:DeleteObject", f"{bucket}/{prefix}storage/*"),
            (f"DecryptIndexes{index}", "kms:Decrypt", key),
        }
        listing = statement(document, f"ListBackups{index}")["Condition"]
        assert listing == {"StringLike": {"s3:prefix": f"{prefix}*"}}
    assert allowed == expected, "never a dump: only the indexes are read and only the copies deleted"
    assert statement(document, "PutLifecycleMetrics")["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "AiPlatform/Supabase"}
    }
