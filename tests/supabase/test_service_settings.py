"""The Data API, Storage and pooler settings through the real provider host: create sends only what is
configured, a no-op diff, drift after a change behind our back, an update sends only the changed fields, delete
leaves the project as it is, and bad values are refused in check naming the field and the rule."""

from __future__ import annotations

from typing import Any

import pytest

from providers.supabase.api_settings import ApiSettingsProvider
from providers.supabase.pooler_settings import PoolerSettingsProvider
from providers.supabase.storage_settings import StorageSettingsProvider
from tests.supabase.helpers import assert_no_secret, checked, engine_visible_text, ready_project


def _project_value(project: Any, group: str, key: str) -> Any:
    if group == "api":
        return project.postgrest[key]
    if group == "pooler":
        return project.pooler[key]
    if key == "fileSizeLimit":
        return project.storage_config["fileSizeLimit"]
    return project.storage_config["features"][key]["enabled"]


def _set_behind_our_back(project: Any, group: str, key: str, value: Any) -> None:
    if group == "api":
        project.postgrest[key] = value
    elif group == "pooler":
        project.pooler[key] = value
    elif key == "fileSizeLimit":
        project.storage_config["fileSizeLimit"] = value
    else:
        project.storage_config["features"][key] = {"enabled": value}


GROUPS = [
    pytest.param(
        "api", ApiSettingsProvider, "v1-update-postgrest-service-config",
        {"db_schema": "public,graphql_public,reporting", "max_rows": 250, "db_pool": 12},
        ("max_rows", 5000), ("db_schema", "public"), id="api",
    ),
    pytest.param(
        "storage", StorageSettingsProvider, "v1-update-storage-config",
        {"fileSizeLimit": 5368709120, "imageTransformation": True, "s3Protocol": False},
        ("s3Protocol", True), ("fileSizeLimit", 1048576), id="storage",
    ),
    pytest.param(
        "pooler", PoolerSettingsProvider, "v1-update-pooler-config",
        {"pool_mode": "session", "default_pool_size": 30},
        ("default_pool_size", 5), ("pool_mode", "transaction"), id="pooler",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("group", "provider_class", "operation", "settings", "drift", "change"), GROUPS)
def test_settings_group_lifecycle_and_drift(host, fake_supabase, group, provider_class, operation, settings, drift,
                                            change):  # fmt: skip
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = provider_class()
    props = checked(host, provider, {"managementApiUrl": fake_supabase.url, "projectRef": ref, "settings": settings})

    created = host.create(provider, props)
    assert {key: _project_value(project, group, key) for key in settings} == settings
    assert fake_supabase.count(operation) == 1
    assert host.diff(provider, created.id, created.outs, props).changes is False
    assert host.read(provider, created.id, created.outs).outs["settings"] == settings, "no drift right after create"

    # Behind our back: one field changed in the dashboard. Refresh sees it; the next update puts it back.
    key, value = drift
    _set_behind_our_back(project, group, key, value)
    drifted = host.read(provider, created.id, created.outs)
    assert drifted.outs["settings"][key] == value
    assert host.diff(provider, created.id, drifted.outs, props).changes is True
    host.update(provider, created.id, drifted.outs, props)
    assert _project_value(project, group, key) == settings[key]

    # A changed field is sent alone.
    key, value = change
    changed = {**props, "settings": {**settings, key: value}}
    host.update(provider, created.id, created.outs, changed)
    assert _project_value(project, group, key) == value
    sent = fake_supabase.bodies(operation)[-1]
    assert key in str(sent) and all(other not in str(sent) for other in settings if other != key), sent

    host.delete(provider, created.id, changed)  # the settings stay: the API has no reset
    assert _project_value(project, group, key) == value
    # The Data API's read carries the project's JWT secret: only configured fields may reach the state.
    assert_no_secret(engine_visible_text(created, drifted, host=host), ["super-secret-jwt-token-" + ref])


@pytest.mark.parametrize(
    ("provider_class", "settings", "message"),
    [
        (ApiSettingsProvider, {"max_rows": 2_000_000}, "Data API settings: max_rows must be at most 1000000"),
        (ApiSettingsProvider, {"max_rows": "many"}, "max_rows must be an integer"),
        (ApiSettingsProvider, {"db_schemas": "public"}, "db_schemas is not one of the Data API settings"),
        (StorageSettingsProvider, {"imageTransformation": "yes"}, "imageTransformation must be a bool"),
        (StorageSettingsProvider, {"fileSizeLimit": 10**15}, "fileSizeLimit must be at most 536870912000"),
        (PoolerSettingsProvider, {"pool_mode": "statement"}, "pool_mode must be one of transaction, session"),
        (PoolerSettingsProvider, {"max_client_conn": 500}, "max_client_conn is not one of the pooler settings"),
    ],
)
def test_bad_settings_are_refused_in_check_naming_field_and_rule(host, fake_supabase, provider_class, settings,
                                                                 message):  # fmt: skip
    ref = ready_project(fake_supabase)
    props = {"managementApiUrl": fake_supabase.url, "projectRef": ref, "settings": settings}
    result = host.check(provider_class(), {}, props)
    assert any(message in reason for _property, reason in result.failures), result.failures
    assert fake_supabase.count(writes_only=True) == 0
