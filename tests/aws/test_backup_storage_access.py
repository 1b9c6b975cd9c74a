"""The nightly job copies Storage too: S3 credentials the program provisions, kept in Secrets Manager, read
into the build by name; the project definition, its variables and the stack outputs never hold them."""

from __future__ import annotations

import json

import yaml

from components.backup_job import STORAGE_SECRET_VARIABLES
from ops.cli import build_parser
from tests.aws.aws_program import ANON_KEY, SERVICE_ROLE_KEY, SUPABASE_REF, SUPABASE_URL, run_aws_program
from tests.aws.helpers import one, policy, statement

SECRET = "aws:secretsmanager/secret:Secret"
VERSION = "aws:secretsmanager/secretVersion:SecretVersion"


def test_storage_keys_are_a_secret_the_job_reads_by_name(deployed):
    secret = one(deployed, SECRET, "backup-job-storage-s3")
    version = one(deployed, VERSION, "backup-job-storage-s3-value")
    assert version.inputs["secretId"] == secret.id
    assert "secretString" in version.secret_inputs, "the session token is the service-role key"
    assert json.loads(version.inputs["secretString"]) == {
        "access_key_id": SUPABASE_REF,
        "secret_access_key": ANON_KEY,
        "session_token": SERVICE_ROLE_KEY,
    }

    project = one(deployed, "aws:codebuild/project:Project")
    spec = yaml.safe_load(project.inputs["source"]["buildspec"])
    name = secret.outputs["name"]
    assert {k: v for k, v in spec["env"]["secrets-manager"].items() if k.startswith("STORAGE_")} == {
        variable: f"{name}:{key}" for variable, key in STORAGE_SECRET_VARIABLES.items()
    }
    variables = {v["name"]: v["value"] for v in project.inputs["environment"]["environmentVariables"]}
    assert variables["STORAGE_S3_ENDPOINT_URL"] == f"{SUPABASE_URL}/storage/v1/s3"
    assert variables["STORAGE_S3_REGION"] == "eu-central-1"

    run_policy = policy(one(deployed, "aws:iam/rolePolicy:RolePolicy", "backup-job-run-policy"))
    assert statement(run_policy, "ReadStorageKeys")["Resource"] == secret.outputs["arn"]


def test_the_keys_are_nowhere_in_plain_text(deployed):
    project = one(deployed, "aws:codebuild/project:Project")
    for value in (SERVICE_ROLE_KEY, ANON_KEY):
        assert value not in json.dumps(project.inputs, default=str)
        for output, shown in deployed.outputs.items():
            assert value not in str(shown), output


def test_the_job_copies_storage_with_the_variables_ops_backup_reads(monkeypatch):
    monkeypatch.delenv("STORAGE_S3_ENDPOINT_URL", raising=False)
    args = build_parser().parse_args(["backup", "--bucket", "b", "--stack", "s"])
    assert args.storage_endpoint_url is None, "without the variable, no storage copy"
    monkeypatch.setenv("STORAGE_S3_ENDPOINT_URL", "https://x.supabase.co/storage/v1/s3")
    args = build_parser().parse_args(["backup", "--bucket", "b", "--stack", "s"])
    assert args.storage_endpoint_url == "https://x.supabase.co/storage/v1/s3"


def test_a_stack_can_leave_storage_out_of_its_backups():
    section = {"enabled": True, "sourceRepository": "example-org/ai-platform", "includeStorage": False}
    run = run_aws_program("staging", {"backup": section})
    assert not [r for r in run.resources if r.type == SECRET and r.name == "backup-job-storage-s3"]
    spec = yaml.safe_load(one(run, "aws:codebuild/project:Project").inputs["source"]["buildspec"])
    assert list(spec["env"]["secrets-manager"]) == ["DATABASE_URL"]
