"""The Supabase stack (the staging file, AWS off) through the plain CLI against the spec-checked stand-in of the
Management and Storage APIs, with a real PostgreSQL behind its pooler: the token set with `pulumi config set
--secret` (never in `pulumi stack export`), `up`, `preview --expect-no-changes`, the pull-request preview as
pulumi/actions runs it (`pulumi preview --diff`), a change made in the dashboard seen by `refresh`, and `destroy` refused by protect."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from ops.localdb import LocalDatabase
from tests.conftest import dbname_of
from tests.engine.supabase_stack import AWS_PARTS_OFF, PROJECT_NAME, PROVIDER_ENV, SECRETS, secret_values
from tests.harness.tls_pooler import TlsPooler
from tests.plain_cli.checkout import PlainCheckout
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase

CHANGED_FUNCTION = "ai-chat-message"


def _configure(checkout: PlainCheckout, fake: FakeSupabase) -> None:
    """The plain settings as an operator writes them in Pulumi.staging.yaml; the secrets with `config set`."""
    stack_file = checkout.root / "Pulumi.staging.yaml"
    document = yaml.safe_load(stack_file.read_text())
    config = document["config"]
    config.update({f"ai-platform:{key}": value for key, value in AWS_PARTS_OFF.items()})
    config["ai-platform:supabase"].update(
        organizationSlug=fake.organization, projectName=PROJECT_NAME, readyTimeoutSeconds=60,
        managementApiUrl=fake.url, projectUrlTemplate=fake.project_url_template,
    )  # fmt: skip
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    checkout.run("config", "set", "--secret", "supabaseAccessToken", SECRETS["supabaseAccessToken"])
    checkout.run("config", "set", "--secret", "databasePassword", SECRETS["databasePassword"])
    for group in ("functionSecrets", "authSecrets"):
        for name, value in SECRETS[group].items():
            checkout.run("config", "set", "--secret", "--path", f"{group}.{name}", value)


# Several CLI runs, each starting the language host, the program and a provider host.
@pytest.mark.timeout(900)
def test_plain_commands_on_the_supabase_stack(plain_cli, pg_cluster: LocalDatabase, fresh_db, tmp_path):
    fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        with TlsPooler(pg_cluster.port) as pooler:
            fake.database_endpoint = ("127.0.0.1", pooler.port, "postgres", dbname_of(fresh_db))
            checkout = PlainCheckout.create(plain_cli, tmp_path, "staging", extra_env=PROVIDER_ENV)
            checkout.run("stack", "init")
            _configure(checkout, fake)
            stack_file = (checkout.root / "Pulumi.staging.yaml").read_text()
            assert SECRETS["supabaseAccessToken"] not in stack_file and "secure:" in stack_file

            up = checkout.run("up", "--yes")
            [project] = fake.projects_named(PROJECT_NAME)
            assert "supabase-project" in up.stdout and "created" in up.stdout, up.stdout
            assert project.secrets["OPENAI_API_KEY"] == SECRETS["functionSecrets"]["OPENAI_API_KEY"]
            assert set(project.buckets) >= {"avatars", "documents"}

            writes = fake.count(writes_only=True)
            checkout.run("preview", "--expect-no-changes")
            assert fake.count(writes_only=True) == writes

            # The pull-request comment: `pulumi preview --diff`, as pulumi/actions runs it, after one change.
            entry = checkout.root / "functions" / CHANGED_FUNCTION / "index.ts"
            entry.write_text(entry.read_text() + "\n// reviewed in a pull request\n")
            text = checkout.run("preview", "--diff").stdout
            updates = re.findall(r"~ (\S+): \(update\)\n\s+\[id=[^\]]*\]\n\s+\[urn=([^\]]+)\]", text)
            assert [urn.rsplit("::", 1)[-1] for _, urn in updates] == [f"supabase-fn-{CHANGED_FUNCTION}"], text
            assert re.search(r"~ contentHash\s*: \"[0-9a-f]{64}\" => \"[0-9a-f]{64}\"", text), text
            assert fake.count(writes_only=True) == writes
            checkout.run("up", "--yes")

            # A secret changed in the dashboard: refresh records it, the next up sets the configured value again.
            project.secrets["OPENAI_API_KEY"] = "sk-set-by-hand-in-the-dashboard"
            assert "1 updated" in checkout.run("refresh", "--yes").stdout
            checkout.run("up", "--yes")
            assert project.secrets["OPENAI_API_KEY"] == SECRETS["functionSecrets"]["OPENAI_API_KEY"]

            exported = checkout.run("stack", "export").stdout
            outputs = checkout.run("stack", "output", "--json").stdout
            assert json.loads(exported)["deployment"]["resources"]
            assert json.loads(outputs)["supabaseProjectRef"] == project.ref
            for secret in secret_values(fake):
                for name, seen in (("state", exported), ("outputs", outputs), ("preview", text)):
                    assert secret not in seen, f"a secret ({len(secret)} characters) is in the {name}"

            # A protected project (prod's setting) makes `pulumi destroy` refuse, and the project stays.
            checkout.run("config", "set", "--path", "supabase.protect", "true")
            checkout.run("up", "--yes")
            refused = checkout.run("destroy", "--yes", check=False)
            assert refused.returncode != 0 and "protected" in refused.stdout + refused.stderr, refused.stdout
            assert project.status == "ACTIVE_HEALTHY"
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)
