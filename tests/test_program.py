"""__main__.py under mocks for each stack file: what a `pulumi up` would register."""

from __future__ import annotations

import pytest

from ops.engineless.program import run_program
from tests.aws.aws_mocks import WholeProgramMocks

MIGRATIONS = "pulumi-python:dynamic/database:SchemaMigrations"


def test_local_stack_applies_the_migrations_with_a_secret_connection():
    run = run_program("local")
    migrations = run.named("platform-db-migrations")
    assert migrations.type == MIGRATIONS
    assert "connection" in migrations.secret_inputs
    assert migrations.options["parent"].endswith("ai-platform:database:Database::platform-db")
    versions = [m["version"] for m in migrations.inputs["migrations"]]
    assert versions == sorted(versions) and versions, "the migration set is listed in version order"
    assert all(len(m["checksum"]) == 64 for m in migrations.inputs["migrations"])


def test_local_stack_needs_no_cloud_provider():
    run = run_program("local")
    assert not [r for r in run.resources if r.type.startswith(("aws:", "pulumi:providers:aws"))]


@pytest.mark.parametrize("stack", ["local", "staging", "prod"])
def test_no_stack_output_holds_a_secret_in_plain_text(stack):
    run = run_program(stack, mocks=WholeProgramMocks())
    for name, value in run.outputs.items():
        if name in run.secret_outputs:
            continue
        assert "postgresql://" not in str(value), f"output {name} carries a connection string in plain text"
