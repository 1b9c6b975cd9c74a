"""`pulumi refresh` under the real engine sees each settings group changed behind our back ([api], [db] settings,
SSL enforcement, network restrictions, [storage], [db.pooler]), and the next `up` puts each back: an inline
program of just those resources, against the spec-checked stand-in."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi import automation as auto

from components.supabase_services import ServiceSettingsArgs, service_settings
from ops.engine import EngineSettings
from ops.engine.workspace import prepare_work_dir
from providers.supabase.database_settings import DatabaseSettings, DatabaseSettingsArgs
from stackconfig.supabase_services import SupabaseApiConfig, SupabasePoolerConfig, SupabaseStorageSettingsConfig
from tests.engine.helpers import run
from tests.supabase.conftest import FAST_ENVIRONMENT, TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase
from tests.supabase.fake_api.model import Project

SERVICES = ServiceSettingsArgs(
    api=SupabaseApiConfig(max_rows=500),
    storage=SupabaseStorageSettingsConfig(file_size_limit=1024**3, image_transformation=True, s3_protocol=False),
    pooler=SupabasePoolerConfig(pool_mode="transaction", default_pool_size=20),
)


def _program(fake: FakeSupabase, ref: str) -> Callable[[], None]:
    def program() -> None:
        service_settings("drift", ref, fake.url, SERVICES, pulumi.ResourceOptions())
        DatabaseSettings(
            "drift-database-settings",
            DatabaseSettingsArgs(
                project_ref=ref, postgres_config={"max_connections": 120}, ssl_enforced=True,
                allowed_cidrs=["203.0.113.0/24"], allowed_cidrs_v6=["2001:db8::/32"], management_api_url=fake.url,
            ),
        )  # fmt: skip

    return program


# Each group's change behind our back, and the resource whose refresh must see it.
CHANGES: dict[str, Callable[[Project], Any]] = {
    "drift-api-settings": lambda p: p.postgrest.update(max_rows=100000),
    "drift-storage-settings": lambda p: p.storage_config["features"].update(s3Protocol={"enabled": True}),
    "drift-pooler-settings": lambda p: p.pooler.update(default_pool_size=99),
    "drift-database-settings/postgres": lambda p: p.postgres_config.update(max_connections=60),
    "drift-database-settings/ssl": lambda p: setattr(p, "ssl_enforced", False),
    "drift-database-settings/network": lambda p: setattr(p, "allowed_cidrs", ["0.0.0.0/0"]),
}


def _expected(project: Project) -> tuple[Any, ...]:
    return (
        project.postgrest["max_rows"], project.storage_config["features"]["s3Protocol"],
        project.pooler["default_pool_size"], project.postgres_config["max_connections"], project.ssl_enforced,
        project.allowed_cidrs,
    )  # fmt: skip


@pytest.mark.timeout(900)
def test_refresh_sees_every_settings_group_changed_behind_our_back(engine: Callable[..., EngineSettings]):
    settings: EngineSettings = engine(env={**FAST_ENVIRONMENT, "SUPABASE_ACCESS_TOKEN": TEST_TOKEN})
    fake = FakeSupabase(token=TEST_TOKEN).start()
    try:
        project = fake.add_project("drift")
        workspace = auto.LocalWorkspace(
            work_dir=str(prepare_work_dir("local", settings.state_dir, {})),
            pulumi_home=str(settings.state_dir / "home"),
            program=_program(fake, project.ref),
            env_vars=settings.cli_env(),
            secrets_provider="passphrase",
            pulumi_command=auto.PulumiCommand(root=str(settings.cli.bin_dir.parent)),
        )
        stack = auto.Stack.create_or_select("drift", workspace)
        _, steps = run(stack.up)
        assert set(steps.changed().values()) == {"create"} and len(steps.changed()) == 4, steps.ops
        applied = _expected(project)
        assert applied == (500, {"enabled": False}, 20, 120, True, ["203.0.113.0/24"])

        for name, change in CHANGES.items():
            change(project)
            refreshed, _ = run(stack.refresh)
            assert refreshed.summary.resource_changes.get("update") == 1, (name, refreshed.summary.resource_changes)
            _, steps = run(stack.up)
            assert steps.changed() == {name.split("/")[0]: "update"}, (name, steps.ops)
            assert _expected(project) == applied, name
    finally:
        fake.stop()
    assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)
