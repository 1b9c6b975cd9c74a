"""Every workflow job that assumes an AWS role presents an OIDC subject that role trusts: read from the
workflow files and from the trust policies the staging and prod programs register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.engineless.program import ProgramRun
from tests.aws.helpers import as_list, one
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
    assert {use.workflow for use in uses} == {"deploy.yml", "preview.yml", "drift.yml", "backup-drill.yml"}
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
