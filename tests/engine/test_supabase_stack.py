"""A stack with the Supabase parts on and AWS off, through the real Pulumi engine, against the stateful,
spec-checked fake Management and Storage APIs (and a real PostgreSQL behind the fake pooler)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pulumi import automation as auto

from tests.conftest import dbname_of
from tests.engine.helpers import run
from tests.engine.supabase_stack import PROJECT_ROOT, SECRETS, secret_values, supabase_stack

BUCKETS = {"avatars", "automation-results", "ticket-attachments", "documents", "thumbnails", "exports"}
CHANGED_FUNCTION = "health-check"


# Several engine runs, each starting the CLI and a provider host: minutes on a loaded machine.
@pytest.mark.timeout(900)
def test_supabase_stack_up_preview_change_refresh_outputs_and_protect(engine, pg_cluster, fresh_db, tmp_path):
    with supabase_stack(engine(), pg_cluster, dbname_of(fresh_db), tmp_path) as deployed:
        fake = deployed.fake

        # up from nothing: the project, its settings, secrets, functions and buckets, and the schema
        result, steps = run(deployed.stack.up)
        assert set(steps.changed().values()) == {"create"}, steps.ops
        project = deployed.project
        functions = sorted(p.name for p in deployed.functions_dir.iterdir() if p.is_dir() and p.name != "_shared")
        assert sorted(project.functions) == functions
        assert set(project.buckets) == BUCKETS
        assert project.secrets["OPENAI_API_KEY"] == SECRETS["functionSecrets"]["OPENAI_API_KEY"]
        assert project.postgres_config["max_connections"] == 100 and project.ssl_enforced is True
        assert project.auth_config["site_url"] == "https://staging.example.com"
        assert result.outputs["supabaseProjectRef"].value == project.ref
        assert result.outputs["appliedMigrations"].value > 0

        # a no-change preview is clean and writes nothing
        writes = fake.count(writes_only=True)
        _, steps = run(deployed.stack.preview)
        assert not steps.changed(), steps.changed()
        assert fake.count(writes_only=True) == writes

        # one changed function: previewed and deployed alone
        entry = deployed.functions_dir / CHANGED_FUNCTION / "index.ts"
        entry.write_text(entry.read_text() + "\n// a change\n")
        _, steps = run(deployed.stack.preview)
        assert steps.changed() == {f"supabase-fn-{CHANGED_FUNCTION}": "update"}
        deploys = fake.count("v1-deploy-a-function")
        _, steps = run(deployed.stack.up)
        assert steps.changed() == {f"supabase-fn-{CHANGED_FUNCTION}": "update"}
        assert fake.count("v1-deploy-a-function") == deploys + 1
        assert b"// a change" in b"".join(project.functions[CHANGED_FUNCTION].files.values())

        # a secret changed behind our back: refresh sees it, the next up sets the configured value again
        project.secrets["OPENAI_API_KEY"] = "sk-set-by-hand-in-the-dashboard"
        refreshed, _ = run(deployed.stack.refresh)
        assert refreshed.summary.resource_changes.get("update") == 1, refreshed.summary.resource_changes
        _, steps = run(deployed.stack.up)
        assert steps.changed() == {"supabase-function-secrets": "update"}
        assert project.secrets["OPENAI_API_KEY"] == SECRETS["functionSecrets"]["OPENAI_API_KEY"]

        # the state and the outputs hold no secret in plain text (the CLI's own export: the Automation API's
        # export_stack() passes --show-secrets)
        exported = _cli(deployed, "stack", "export")
        assert json.loads(exported)["deployment"]["resources"]
        outputs = _cli(deployed, "stack", "output", "--json")
        for secret in secret_values(fake):
            assert secret not in exported, f"a secret ({len(secret)} characters) is in the exported state"
            assert secret not in outputs, f"a secret ({len(secret)} characters) is in the stack outputs"

        # the outputs feed the frontend's environment
        frontend = subprocess.run(
            [sys.executable, "-m", "ops", "frontend-env", "--stdout"],
            input=outputs,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            check=False,
        )
        assert frontend.returncode == 0, frontend.stderr
        assert f"VITE_SUPABASE_URL={fake.project_url_template.format(ref=project.ref)}" in frontend.stdout
        assert f"VITE_SUPABASE_ANON_KEY={project.anon_key}" in frontend.stdout

        # a protected project makes destroy refuse, and the project stays
        supabase = {**deployed.config["supabase"], "protect": True}
        stack = deployed.reopen(supabase=supabase)
        _, steps = run(stack.up)
        assert not steps.changed(), steps.changed()
        with pytest.raises(auto.CommandError, match="protected"):
            stack.destroy()
        assert deployed.project.status == "ACTIVE_HEALTHY"


def _cli(deployed, *args: str) -> str:
    """The CLI itself, in the stack's work dir, as an operator or the frontend build would run it."""
    settings = deployed.settings
    result = subprocess.run(
        [str(settings.cli.executable), *args, "--stack", "staging", "--non-interactive"],
        cwd=settings.state_dir / "work", env={**os.environ, **settings.cli_env()},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout
