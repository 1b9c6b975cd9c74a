"""A manifest is bound to its stack and its key prefix: a staging manifest that points at prod's dump (or
prod's storage copies) is refused by restore and by the drill, with the target untouched."""

from __future__ import annotations

import json

import pytest

from ops.backup.layout import list_complete_backups
from tests.ops.helpers import ops, scalar, storage_backup, storage_restore
from tests.ops.test_backup_restore import backup


def newest_prefix(s3, bucket: str, stack: str) -> str:
    return f"backups/{stack}/{list_complete_backups(s3, bucket, stack)[-1]}/"


def read_json(s3, bucket: str, key: str) -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def forge_staging_from_prod(s3, bucket: str, fields: dict[str, object]) -> None:
    """Rewrite staging's newest manifest with prod's values for `fields` (the attacker copies them over)."""
    staging_key = newest_prefix(s3, bucket, "staging") + "manifest.json"
    forged = {**read_json(s3, bucket, staging_key), **fields}
    s3.put_object(Bucket=bucket, Key=staging_key, Body=json.dumps(forged).encode())


@pytest.fixture
def prod_and_staging_backups(s3, s3_endpoint, bucket, source_db, empty_db) -> dict:
    """Prod holds the sample data; staging's backup is of an empty database."""
    assert backup(s3_endpoint, bucket, source_db, stack="prod") == 0
    assert backup(s3_endpoint, bucket, empty_db, stack="staging") == 0
    return read_json(s3, bucket, newest_prefix(s3, bucket, "prod") + "manifest.json")


def copied_fields(prod: dict) -> dict[str, object]:
    keep = ("dump_key", "sha256", "size_bytes", "row_counts", "newest_migration")
    return {name: prod[name] for name in keep}


def test_restore_refuses_a_staging_manifest_that_points_at_prods_dump(
    s3, s3_endpoint, bucket, pg_cluster, prod_and_staging_backups, capsys
):
    from tests.ops.conftest import new_database

    forge_staging_from_prod(s3, bucket, copied_fields(prod_and_staging_backups))
    target = new_database(pg_cluster)
    code = ops(
        "restore", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint, "--target-url", target
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "backups/prod/" in err and "not under backups/staging/" in err
    assert scalar(target, "select count(*) from pg_tables where schemaname = 'public'") == 0, "prod's data loaded"


def test_drill_refuses_a_staging_manifest_that_points_at_prods_dump(
    s3, s3_endpoint, bucket, prod_and_staging_backups, capsys
):
    forge_staging_from_prod(s3, bucket, copied_fields(prod_and_staging_backups))
    code = ops("verify-backup", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint)
    out, err = capsys.readouterr()
    assert code == 1 and "verified" not in out
    assert "not under backups/staging/" in err


def test_a_manifest_written_for_another_stack_is_refused(
    s3, s3_endpoint, bucket, prod_and_staging_backups, empty_db, capsys
):
    # The whole of prod's manifest copied into staging's prefix: its own stack field gives it away.
    staging_prefix = newest_prefix(s3, bucket, "staging")
    s3.put_object(
        Bucket=bucket, Key=staging_prefix + "manifest.json", Body=json.dumps(prod_and_staging_backups).encode()
    )
    code = ops(
        "restore", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint, "--target-url", empty_db
    )
    assert code == 1
    assert "written for stack 'prod'" in capsys.readouterr().err


def test_storage_restore_refuses_an_index_outside_the_stacks_copies(s3, s3_endpoint, bucket, source_db, capsys):
    source = f"{bucket}-docs"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/contract.pdf", Body=b"%PDF prod secret")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    assert backup(s3_endpoint, bucket, source_db, stack="staging") == 0
    capsys.readouterr()
    prod = read_json(s3, bucket, newest_prefix(s3, bucket, "prod") + "manifest.json")
    staging_prefix = newest_prefix(s3, bucket, "staging")

    # Staging's own index key, but its entries name prod's copies.
    prod_index = read_json(s3, bucket, prod["storage"]["index_key"])
    s3.put_object(Bucket=bucket, Key=staging_prefix + "storage-index.json", Body=json.dumps(prod_index).encode())
    forge_staging_from_prod(
        s3, bucket, {"storage": {**prod["storage"], "index_key": staging_prefix + "storage-index.json"}}
    )
    s3.delete_object(Bucket=source, Key="u1/contract.pdf")
    code = storage_restore(s3_endpoint, bucket, stack="staging")
    assert code == 1
    assert "backups/prod/storage/" in capsys.readouterr().err
    assert "Contents" not in s3.list_objects_v2(Bucket=source), "prod's object was put back from staging's backup"

    # And a manifest whose index key itself points into prod's backup.
    forge_staging_from_prod(s3, bucket, {"storage": prod["storage"]})
    code = storage_restore(s3_endpoint, bucket, stack="staging")
    assert code == 1
    assert "not under backups/staging/" in capsys.readouterr().err
