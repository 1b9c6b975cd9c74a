"""A Supabase stack (the staging file, AWS off) wired to the fake Management and Storage APIs and, behind
the fake's pooler config, a real PostgreSQL: what the engine tests and benchmarks/engine.py deploy."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from ops.engine import EngineSettings, open_stack
from ops.localdb import LocalDatabase
from tests.harness.tls_pooler import TlsPooler
from tests.supabase.conftest import FAST_ENVIRONMENT, TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_NAME = "ai-super-assistant-staging"
# Payments off too: the engine tests have no Stripe (tests/stripe covers the endpoint through the provider host).
AWS_PARTS_OFF = {
    part: {"enabled": False}
    for part in (
        "aws",
        "frontend",
        "storageCdn",
        "backup",
        "alerts",
        "ciIdentity",
        "waf",
        "budget",
        "providerSpend",
        "stripeWebhook",
    )
}
SECRETS: dict[str, Any] = {
    "supabaseAccessToken": TEST_TOKEN,
    "databasePassword": "Engine-test-db-password-1",
    "functionSecrets": {"OPENAI_API_KEY": "sk-openai-engine-test-value", "STRIPE_WEBHOOK_SECRET": "whsec_engine_test"},
    "authSecrets": {"smtpPass": "smtp-engine-test-password"},
}
# The token comes from the stack's secret config here (the engine hands it to each provider's configure),
# not from SUPABASE_ACCESS_TOKEN: that is the path a `pulumi up` on an operator's machine takes.
PROVIDER_ENV = {k: v for k, v in FAST_ENVIRONMENT.items() if k != "SUPABASE_ACCESS_TOKEN"}


def secret_values(fake: FakeSupabase) -> list[str]:
    """Every secret the stack handles: configured ones and those the project hands back."""
    values = [
        SECRETS["supabaseAccessToken"],
        SECRETS["databasePassword"],
        *SECRETS["functionSecrets"].values(),
        *SECRETS["authSecrets"].values(),
    ]
    values += [project.service_key for project in fake.projects.values()]
    return values


@dataclass
class SupabaseStack:
    stack: auto.Stack
    fake: FakeSupabase
    functions_dir: Path
    settings: EngineSettings
    config: dict[str, Any]

    @property
    def project(self) -> Any:
        [project] = self.fake.projects_named(PROJECT_NAME)
        return project

    def reopen(self, **config: Any) -> auto.Stack:
        """The same stack with some config changed (as `pulumi config set` would)."""
        self.config.update(config)
        self.stack = open_stack("staging", self.settings, config=self.config, secrets=SECRETS)
        return self.stack


@contextmanager
def supabase_stack(
    engine_settings: EngineSettings, cluster: LocalDatabase, database: str, tmp_path: Path
) -> Iterator[SupabaseStack]:
    engine_settings = dataclasses.replace(engine_settings, env={**PROVIDER_ENV, **engine_settings.env})
    functions_dir = tmp_path / "functions"
    shutil.copytree(PROJECT_ROOT / "functions", functions_dir, ignore=shutil.ignore_patterns("*_test.ts"))
    fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        with TlsPooler(cluster.port) as pooler:
            fake.database_endpoint = ("127.0.0.1", pooler.port, "postgres", database)
            config: dict[str, Any] = {
                **AWS_PARTS_OFF,
                "supabase": {
                    "organizationSlug": fake.organization, "projectName": PROJECT_NAME, "region": "eu-central-1",
                    "protect": False, "readyTimeoutSeconds": 60, "managementApiUrl": fake.url,
                    "projectUrlTemplate": fake.project_url_template, "functionsDir": str(functions_dir),
                },
            }  # fmt: skip
            stack = open_stack("staging", engine_settings, config=config, secrets=SECRETS)
            yield SupabaseStack(stack, fake, functions_dir, engine_settings, config)
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)
