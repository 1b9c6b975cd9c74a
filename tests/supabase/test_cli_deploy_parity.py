"""Our deploys and function secrets against the real CLI's (`supabase functions deploy --use-api`, `supabase
secrets set|unset`), each into its own spec-checked stand-in: every function, ours and one with an import map and
static files, arrives with the same files (names and bytes) and the same metadata, and the secrets end the same.
Differences allowed are those docs/supabase.md names ("Compared with `supabase functions deploy`")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.supabase.edge_function import EdgeFunctionProvider
from providers.supabase.function_bundle import discover_functions
from providers.supabase.function_secrets import FunctionSecretsProvider
from stackconfig.paths import PROJECT_ROOT
from tests.harness.provider_host import Secret
from tests.supabase.cli_parity.functions import EXTRA_FUNCTION, cli_project, comparable_metadata, without_prefix
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase
from tests.supabase.helpers import checked
from tests.supabase.real_cli import require_cli, run_cli
from tests.supabase.test_function_deploy_metadata import props_for

FUNCTIONS = [*discover_functions(PROJECT_ROOT / "functions"), EXTRA_FUNCTION]


class Deployed:
    def __init__(self, tmp: Path, host) -> None:
        require_cli()
        self.by_cli, self.by_us = FakeSupabase(token=TEST_TOKEN).start(), FakeSupabase(token=TEST_TOKEN).start()
        self.cli_project, self.our_project = self.by_cli.add_project("parity"), self.by_us.add_project("parity")
        root = cli_project(tmp)
        run_cli(self.by_cli, tmp, "functions", "deploy", "--use-api", "--project-ref", self.cli_project.ref)
        provider = EdgeFunctionProvider()
        for slug in discover_functions(root):
            host.create(provider, checked(host, provider, props_for(self.by_us, self.our_project.ref, root, slug)))

    def stop(self) -> list[str]:
        for fake in (self.by_cli, self.by_us):
            fake.stop()
        return self.by_cli.violations + self.by_us.violations


@pytest.fixture(scope="module")
def deployed(host, tmp_path_factory):
    both = Deployed(tmp_path_factory.mktemp("cli-deploy"), host)
    try:
        yield both
    finally:
        violations = both.stop()
    assert not violations, "requests or answers outside the API contract:\n" + "\n".join(violations)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("slug", FUNCTIONS)
def test_same_files_and_metadata_as_the_cli_deploy(deployed, slug):
    theirs, ours = deployed.cli_project.functions[slug], deployed.our_project.functions[slug]
    their_files = {without_prefix(name): content for name, content in theirs.files.items()}
    assert comparable_metadata(ours.metadata) == comparable_metadata(theirs.metadata)
    assert ours.verify_jwt == theirs.verify_jwt
    if slug != EXTRA_FUNCTION:
        assert ours.files == their_files, sorted(set(ours.files) ^ set(their_files))
        return
    # Behind an import map, the CLI uploads the whole folder a mapped prefix points at (any of it could be
    # imported dynamically through the prefix); we upload the static import graph. Ours is a subset, byte for byte.
    assert {name: their_files[name] for name in ours.files} == ours.files
    mapped = {name for name in their_files if name.startswith("_shared/")}
    assert set(their_files) - set(ours.files) == mapped - set(ours.files)
    assert {"mailer/templates/welcome.html", "mailer/import_map.json", "_shared/cors.ts"} <= set(ours.files)


@pytest.mark.timeout(300)
def test_same_secrets_as_cli_secrets_set_and_unset(host, tmp_path):
    require_cli()
    values = {"OPENAI_API_KEY": "sk-parity-openai", "RESEND_API_KEY": "re_parity_resend", "WEBHOOK_SECRET": "wh=1;2"}
    kept = {name: value for name, value in values.items() if name != "RESEND_API_KEY"}
    by_cli, by_us = FakeSupabase(token=TEST_TOKEN).start(), FakeSupabase(token=TEST_TOKEN).start()
    try:
        theirs, ours = by_cli.add_project("parity"), by_us.add_project("parity")
        (tmp_path / "supabase").mkdir()
        (tmp_path / "supabase" / "config.toml").write_text('project_id = "parity"\n')
        pairs = [f"{name}={value}" for name, value in values.items()]
        run_cli(by_cli, tmp_path, "secrets", "set", *pairs, "--project-ref", theirs.ref)
        run_cli(by_cli, tmp_path, "secrets", "unset", "RESEND_API_KEY", "--project-ref", theirs.ref, "--yes")

        provider, hidden = FunctionSecretsProvider(), ("secrets",)
        base = {"managementApiUrl": by_us.url, "projectRef": ours.ref}
        props = {**checked(host, provider, {**base, "secrets": values}), "secrets": Secret(values)}
        created = host.create(provider, props, additional_secret_outputs=hidden)
        host.update(
            provider, created.id, created.outs, {**base, "secrets": Secret(kept)}, additional_secret_outputs=hidden
        )

        assert ours.secrets == theirs.secrets == kept
        [their_set], [our_set] = by_cli.bodies("v1-bulk-create-secrets"), by_us.bodies("v1-bulk-create-secrets")
        assert sorted(json.dumps(item) for item in our_set) == sorted(json.dumps(item) for item in their_set)
        assert by_us.bodies("v1-bulk-delete-secrets") == by_cli.bodies("v1-bulk-delete-secrets") == [["RESEND_API_KEY"]]
    finally:
        by_cli.stop()
        by_us.stop()
    assert not by_cli.violations + by_us.violations
