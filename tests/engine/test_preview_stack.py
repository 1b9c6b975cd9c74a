"""A pull request's preview stack (pr-<N>) under the real Pulumi engine, through `ops preview`, against the
spec-checked Management API stand-in (a branch is its own project ref there) and, behind its pooler, a real
PostgreSQL. One stack, module-scoped, is reused across the steps, in order: up on a branch of staging, a second
push that changes one migration and one function, the cap refusing the next preview, and the teardown from state
after the program stopped building.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from ops.preview import lifecycle
from ops.preview.comment import comment
from ops.preview.stackfile import PreviewError
from ops.preview.workspace import PreviewEngine
from tests.engine.helpers import Steps
from tests.engine.supabase_stack import PROJECT_NAME, PROJECT_ROOT, PROVIDER_ENV
from tests.harness.tls_pooler import TlsPooler
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase

PR = 7
CHANGED_FUNCTION = "health-check"
PREVIEW_SECRETS = {"OPENAI_API_KEY": "sk-preview-test-value", "STRIPE_SECRET_KEY": "sk_test_preview_value"}
PASSPHRASE = "preview-engine-test-passphrase"


@dataclass
class PreviewEnv:
    fake: FakeSupabase
    engine: PreviewEngine
    template: Path
    root: Path
    database_url: str
    parent_before: dict[str, Any]

    @property
    def parent(self) -> Any:
        [parent] = self.fake.projects_named(PROJECT_NAME)
        return parent

    def branch(self, name: str = f"pr-{PR}") -> Any:
        found = [b for b in self.fake.branches.values() if b.name == name]
        return self.fake.projects[found[0].project_ref] if found else None

    def fresh_runner(self, name: str) -> PreviewEngine:
        """The same backend from a new work dir, as a new CI runner starts."""
        return PreviewEngine(
            cli=self.engine.cli, backend_url=self.engine.backend_url, work_root=self.root / name,
            pulumi_home=self.engine.pulumi_home, env=self.engine.env,
        )  # fmt: skip


def parent_snapshot(project: Any) -> dict[str, Any]:
    return copy.deepcopy(
        {
            "status": project.status, "functions": sorted(project.functions), "buckets": sorted(project.buckets),
            "secrets": dict(project.secrets), "auth": dict(project.auth_config),
        }
    )  # fmt: skip


@pytest.fixture(scope="module")
def preview_env(pulumi_cli, pg_cluster, tmp_path_factory) -> Iterator[PreviewEnv]:
    root = tmp_path_factory.mktemp("preview")
    functions_dir, migrations_dir = root / "functions", root / "migrations"
    shutil.copytree(PROJECT_ROOT / "functions", functions_dir, ignore=shutil.ignore_patterns("*_test.ts"))
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations_dir)
    database = "preview_branch_db"
    database_url = pg_cluster.create_database(database)
    fake = FakeSupabase(token=TEST_TOKEN).start()
    # The parent (staging) exists already, with its own function, secret and bucket that a preview must not touch.
    parent = fake.add_project(PROJECT_NAME)
    parent.secrets["OPENAI_API_KEY"] = "digest-of-stagings-own-key"
    parent.buckets["avatars"] = {"id": "avatars", "name": "avatars", "public": True}
    template = root / "Pulumi.preview.yaml"
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.preview.yaml").read_text())
    config = document["config"]
    config["ai-platform:supabase"].update(
        organizationSlug=fake.organization, managementApiUrl=fake.url, readyTimeoutSeconds=60,
        projectUrlTemplate=fake.project_url_template, functionsDir=str(functions_dir),
    )  # fmt: skip
    config["ai-platform:supabaseBranch"]["maxConcurrent"] = 1
    config["ai-platform:database"] = {"migrationsDir": str(migrations_dir)}
    template.write_text(yaml.safe_dump(document, sort_keys=False))
    env = {**PROVIDER_ENV, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "SUPABASE_ACCESS_TOKEN": TEST_TOKEN}
    engine = PreviewEngine(
        cli=pulumi_cli, backend_url=(root / "backend").as_uri(), work_root=root / "work", pulumi_home=root / "home",
        env=env,
    )  # fmt: skip
    (root / "backend").mkdir()
    patch = pytest.MonkeyPatch()
    patch.setenv("SUPABASE_ACCESS_TOKEN", TEST_TOKEN)  # ops preview down's own API calls, in this process
    try:
        with TlsPooler(pg_cluster.port) as pooler:
            fake.database_endpoint = ("127.0.0.1", pooler.port, "postgres", database)
            yield PreviewEnv(fake, engine, template, root, database_url, parent_snapshot(parent))
    finally:
        patch.undo()
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)


def up(env: PreviewEnv, engine: PreviewEngine | None = None, pr: int = PR) -> tuple[lifecycle.PreviewUp, Steps]:
    steps = Steps()
    done = lifecycle.up(
        engine or env.engine, pr, git_branch="feature/previews", template=env.template,
        secrets={"functionSecrets": PREVIEW_SECRETS}, on_output=steps.on_output, on_event=steps.on_event,
    )  # fmt: skip
    return done, steps


# Engine runs with a provider host each, on a loaded machine: minutes.
@pytest.mark.timeout(900)
def test_preview_stack_comes_up_on_a_branch_of_staging(preview_env):
    done, _ = up(preview_env)
    fake, branch = preview_env.fake, preview_env.branch()
    assert branch is not None and branch.status == "ACTIVE_HEALTHY"
    record = fake.branches[branch.ref]
    assert record.parent_project_ref == preview_env.parent.ref and record.git_branch == "feature/previews"
    assert not record.persistent
    # Everything landed under the branch's ref: functions, buckets, secrets, auth with the preview's URL.
    functions = sorted(p.name for p in (preview_env.root / "functions").iterdir() if p.is_dir() and p.name != "_shared")
    assert sorted(branch.functions) == functions
    assert {"avatars", "documents", "exports"} <= set(branch.buckets)
    assert branch.secrets["STRIPE_SECRET_KEY"] == PREVIEW_SECRETS["STRIPE_SECRET_KEY"]
    assert branch.auth_config["site_url"] == "https://pr-7.preview.example.com"
    assert "https://pr-7.preview.example.com/**" in branch.auth_config["uri_allow_list"].split(",")
    assert done.outputs["supabaseProjectRef"] == branch.ref
    assert done.outputs["supabaseAnonKey"] == branch.anon_key
    assert done.outputs["appliedMigrations"] == len(list((preview_env.root / "migrations").glob("*.sql")))
    # The parent is as it was.
    assert parent_snapshot(preview_env.parent) == preview_env.parent_before

    text = comment(done, PR)
    assert done.outputs["supabaseUrl"] in text and done.outputs["functionsUrl"] in text and branch.anon_key in text
    assert "$0.01344/hour" in text and "at most $0.97" in text  # micro, 72 h
    state = json.dumps(preview_env.engine.export("pr-7"))
    for secret in (branch.service_key, branch.db_pass, *PREVIEW_SECRETS.values(), TEST_TOKEN):
        assert secret not in state and secret not in text, f"a secret ({len(secret)} characters) is in plain text"


@pytest.mark.timeout(900)
def test_second_push_applies_one_migration_and_deploys_one_function(preview_env):
    migration = preview_env.root / "migrations" / "29991231235959_preview_marker.sql"
    migration.write_text("create table public.preview_marker (id int primary key);\n")
    entry = preview_env.root / "functions" / CHANGED_FUNCTION / "index.ts"
    entry.write_text(entry.read_text() + "\n// pushed to the pull request\n")
    fake = preview_env.fake
    deploys, versions_before = fake.count("v1-deploy-a-function"), _applied_versions(preview_env)

    # A new runner: the work dir is gone, the salt comes back from the state.
    done, steps = up(preview_env, preview_env.fresh_runner("second-push"))

    expected = {"platform-db-migrations": "update", f"supabase-fn-{CHANGED_FUNCTION}": "update"}
    assert steps.changed() == expected, steps.ops
    assert fake.count("v1-deploy-a-function") == deploys + 1
    assert b"// pushed to the pull request" in b"".join(preview_env.branch().functions[CHANGED_FUNCTION].files.values())
    assert _applied_versions(preview_env) - versions_before == {"29991231235959"}
    assert done.outputs["appliedMigrations"] == len(versions_before) + 1


@pytest.mark.timeout(900)
def test_cap_refuses_the_next_preview_naming_the_cap_and_the_open_one(preview_env):
    creates = preview_env.fake.count("v1-create-a-branch")
    with pytest.raises(PreviewError) as refused:
        up(preview_env, pr=8)
    message = str(refused.value)
    assert "preview pr-8 refused: supabaseBranch.maxConcurrent is 1" in message, message
    assert "pr-7" in message and "ops preview down" in message, message
    assert preview_env.fake.count("v1-create-a-branch") == creates and preview_env.branch("pr-8") is None
    # Its stack (created, nothing in it but what waited on the branch) goes away from state too.
    assert lifecycle.down(preview_env.engine, 8, template=preview_env.template) == [
        "no branch pr-8 (nothing to delete)",
        "removed stack pr-8 and its state",
    ]


@pytest.mark.timeout(900)
def test_teardown_after_the_program_stopped_building_deletes_the_branch_and_leaves_the_parent(preview_env):
    # The pull request's last push broke the program: any preview or up now fails before touching anything.
    manifest = preview_env.root / "functions" / CHANGED_FUNCTION / "function.json"
    manifest.write_text("{ this is not json")
    with pytest.raises(PreviewError, match=r"function\.json"):
        up(preview_env)
    branch = preview_env.branch()

    # The workflow's close path: ops preview down, from a new runner, from state alone.
    engine = preview_env.fresh_runner("closed")
    result = subprocess.run(
        [sys.executable, "-m", "ops", "preview", "down", "--pr", str(PR), "--break-lock",
         "--template", str(preview_env.template), "--work-dir", str(engine.work_root)],
        cwd=PROJECT_ROOT, env={**os.environ, **engine.cli_env()}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"deleted branch pr-7 ({branch.ref})" in result.stdout
    assert branch.status == "REMOVED" and branch.ref not in preview_env.fake.branches
    assert "pr-7" not in engine.stacks()
    assert parent_snapshot(preview_env.parent) == preview_env.parent_before
    assert preview_env.fake.count("v1-delete-a-project") == 0, "the parent project was never asked to go"


def _applied_versions(env: PreviewEnv) -> set[str]:
    with psycopg.connect(env.database_url) as db:
        rows = db.execute("select version from supabase_migrations.schema_migrations").fetchall()
    return {row[0] for row in rows}
