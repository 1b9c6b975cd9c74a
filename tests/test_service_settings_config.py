"""Keys supabaseApi, supabaseStorageSettings and supabasePooler: validated with errors naming the key and the
fix, and wired into the program's resources for the committed stacks."""

from __future__ import annotations

import pytest

from stackconfig import ConfigError, validate_config
from tests.supabase.test_program import run

POOLER_TYPE = "pulumi-python:dynamic/supabase:PoolerSettings"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"supabaseApi": {"schemas": ["public", "auth"]}}, "supabaseApi.schemas: Value error, auth: Supabase's own"),
        ({"supabaseApi": {"schemas": ["public,storage"]}}, "public,storage: not a schema name"),
        ({"supabaseApi": {"schemas": []}}, "supabaseApi.schemas: Value should have at least 1 item"),
        ({"supabaseApi": {"maxRows": 0}}, "supabaseApi.maxRows: Input should be greater than or equal to 1"),
        ({"supabaseApi": {"extraSearchPath": ["public", "public"]}}, "public listed twice"),
        ({"supabasePooler": {"poolMode": "statement"}}, "supabasePooler.poolMode: Input should be 'transaction'"),
        ({"supabaseStorageSettings": {"fileSizeLimit": "lots"}}, "supabaseStorageSettings.fileSizeLimit"),
        # The committed buckets go up to 5 GiB (exports): a project limit under that refuses their uploads.
        ({"supabaseStorageSettings": {"fileSizeLimit": "50MiB"}}, "is below a bucket's fileSizeLimit (5368709120"),
    ],
)
def test_bad_service_settings_are_named_with_their_key(raw, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(raw, stack_file="Pulumi.staging.yaml")
    assert expected in str(error.value)


def test_a_size_with_a_unit_is_bytes_and_the_default_limit_is_the_largest_buckets():
    config = validate_config({"supabaseStorageSettings": {"fileSizeLimit": "6GiB"}}, stack_file="Pulumi.prod.yaml")
    assert config.supabase_storage_settings.file_size_limit == 6 * 1024**3


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_committed_stacks_manage_each_service_group(stack):
    program = run(stack)
    api = program.named("supabase-api-settings").inputs["settings"]
    assert api == {"db_schema": "public,graphql_public", "db_extra_search_path": "public,extensions", "max_rows": 1000}
    storage = program.named("supabase-storage-settings").inputs["settings"]
    # No fileSizeLimit in the stack files: the largest bucket's (exports, 5 GiB), so every bucket's uploads pass.
    assert storage == {"fileSizeLimit": 5 * 1024**3, "imageTransformation": True, "s3Protocol": False}
    database = program.named("supabase-database-settings").inputs
    assert database["sslEnforced"] is True
    if stack == "prod":
        assert program.named("supabase-pooler-settings").inputs["settings"] == {"pool_mode": "transaction"}
    else:
        assert not program.of_type(POOLER_TYPE), "staging sets no pooler field: nothing to manage"
