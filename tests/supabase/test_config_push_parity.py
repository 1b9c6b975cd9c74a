"""Our providers and the real CLI's `supabase config push` write the same settings the same way.

One set of settings, written twice: as config.toml (tests/supabase/cli_parity/config.toml) for the CLI, and as
this stack's config keys for our providers, each into its own spec-checked stand-in. The two projects must end
in the same state field by field, and each write request must carry the same body; the only differences
allowed are the ones docs/supabase.md names ("Compared with `supabase config push`").
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from components.supabase_project import _listed
from components.supabase_services import api_settings, pooler_settings, storage_settings
from providers.supabase.api_settings import ApiSettingsProvider
from providers.supabase.database_settings import DatabaseSettingsProvider
from providers.supabase.pooler_settings import PoolerSettingsProvider
from providers.supabase.storage_settings import StorageSettingsProvider
from stackconfig.supabase import SupabaseDatabaseSettingsConfig
from stackconfig.supabase_services import SupabaseApiConfig, SupabasePoolerConfig, SupabaseStorageSettingsConfig
from tests.supabase.cli_parity.state import differing_fields, settings_state
from tests.supabase.conftest import TEST_TOKEN
from tests.supabase.fake_api import FakeSupabase
from tests.supabase.helpers import checked
from tests.supabase.real_cli import require_cli, run_cli

CONFIG_TOML = Path(__file__).parent / "cli_parity" / "config.toml"
# The same settings as this stack's config keys (Pulumi.<stack>.yaml), camelCase as an operator writes them.
STACK_CONFIG: dict[str, dict[str, Any]] = {
    "supabaseApi": {
        "schemas": ["public", "graphql_public", "reporting"],
        "extraSearchPath": ["public", "extensions", "reporting"],
        "maxRows": 250,
    },
    "supabaseDatabase": {
        "postgres": {"max_connections": 120, "statement_timeout": "30s", "work_mem": "8MB",
                     "track_commit_timestamp": True},
        "sslEnforced": True,
        "allowedCidrs": ["198.51.100.7/32", "203.0.113.0/24"],
        "allowedCidrsV6": ["2001:db8::/32"],
    },
    "supabasePooler": {"poolMode": "session", "defaultPoolSize": 30},
    "supabaseStorageSettings": {"fileSizeLimit": "5GiB", "imageTransformation": True, "s3Protocol": False},
}  # fmt: skip
# config push has no Management API field for [db.pooler] (it says so and skips it); our PoolerSettings sets it.
ONLY_OURS = {"db.pooler.pool_mode", "db.pooler.default_pool_size"}
WRITES = (
    "v1-update-postgrest-service-config",
    "v1-update-postgres-config",
    "v1-update-network-restrictions",
    "v1-update-ssl-enforcement-config",
    "v1-update-storage-config",
)


def _our_props(url: str, ref: str) -> list[tuple[Any, dict[str, Any]]]:
    api = SupabaseApiConfig.model_validate(STACK_CONFIG["supabaseApi"])
    database = SupabaseDatabaseSettingsConfig.model_validate(STACK_CONFIG["supabaseDatabase"])
    pooler = SupabasePoolerConfig.model_validate(STACK_CONFIG["supabasePooler"])
    storage = SupabaseStorageSettingsConfig.model_validate(STACK_CONFIG["supabaseStorageSettings"])
    base = {"managementApiUrl": url, "projectRef": ref}
    database_props = {
        **base,
        "postgresConfig": dict(database.postgres),
        "sslEnforced": database.ssl_enforced,
        "allowedCidrs": _listed(database.allowed_cidrs),
        "allowedCidrsV6": _listed(database.allowed_cidrs_v6),
    }
    return [
        (ApiSettingsProvider(), {**base, "settings": api_settings(api)}),
        (DatabaseSettingsProvider(), database_props),
        (StorageSettingsProvider(), {**base, "settings": storage_settings(storage, largest_bucket_bytes=0)}),
        (PoolerSettingsProvider(), {**base, "settings": pooler_settings(pooler)}),
    ]


@pytest.fixture
def two_stand_ins():
    fakes = [FakeSupabase(token=TEST_TOKEN).start() for _ in range(2)]
    try:
        yield fakes
    finally:
        for fake in fakes:
            fake.stop()
    for fake in fakes:
        assert not fake.violations, "requests or answers outside the API contract:\n" + "\n".join(fake.violations)


@pytest.mark.timeout(300)
def test_config_push_and_our_providers_leave_the_same_settings(host, two_stand_ins, tmp_path):
    require_cli()
    by_cli, by_us = two_stand_ins
    cli_project, our_project = by_cli.add_project("parity"), by_us.add_project("parity")
    before = settings_state(our_project)

    (tmp_path / "supabase").mkdir()
    shutil.copy(CONFIG_TOML, tmp_path / "supabase" / "config.toml")
    pushed = run_cli(by_cli, tmp_path, "config", "push", "--project-ref", cli_project.ref, "--yes")
    assert "db.pooler.default_pool_size" in pushed.stderr  # the CLI names what it cannot push

    for provider, props in _our_props(by_us.url, our_project.ref):
        host.create(provider, checked(host, provider, props))

    cli_state, our_state = settings_state(cli_project), settings_state(our_project)
    assert differing_fields(cli_state, our_state) == ONLY_OURS, {
        path: (cli_state.get(path), our_state.get(path)) for path in differing_fields(cli_state, our_state)
    }
    # Not a comparison of two no-ops: every group moved away from a new project's defaults.
    moved = {path.split(".")[0] + "." + path.split(".")[1] for path in differing_fields(before, our_state)}
    assert {"api.db_schema", "db.settings", "db.ssl_enforcement", "db.network_restrictions", "storage.fileSizeLimit",
            "storage.features", "db.pooler"} <= moved, moved  # fmt: skip

    for operation in WRITES:
        assert by_us.bodies(operation) == by_cli.bodies(operation), operation
    assert by_cli.count("v1-update-pooler-config") == 0 and by_us.count("v1-update-pooler-config") == 1
