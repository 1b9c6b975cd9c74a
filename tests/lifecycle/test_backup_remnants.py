"""`ops account delete` records what the backups still hold of the erased account and the day it is gone: counted
in the backup bucket (moto) and dated from the stack's backup retention, in the erasure record (no id in it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import psycopg
import pytest
from moto import mock_aws

from ops.backup.layout import storage_object_key
from ops.cli import main
from tests.lifecycle.objects import new_user, put_object
from tests.lifecycle.storage_standin import SERVICE_KEY, StorageStandIn


def test_the_erasure_records_the_backups_copies_of_the_account_and_when_they_go(
    lifecycle_db: str, storage: StorageStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        person, bystander = new_user(conn), new_user(conn)
        put_object(conn, "documents", f"{person}/a/passport.pdf")
    for name, value in {
        "SUPABASE_URL": storage.url,
        "SUPABASE_SERVICE_ROLE_KEY": SERVICE_KEY,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-central-1",
        "BACKUP_BUCKET": "backups",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-central-1")
        s3.create_bucket(Bucket="backups", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        for user, bucket, name in (
            (person, "documents", "a/passport.pdf"),
            (person, "avatars", "me.png"),
            (bystander, "documents", "b/will.pdf"),
        ):
            key = storage_object_key("staging", bucket, f"{user}/{name}", "e1")
            s3.put_object(Bucket="backups", Key=key, Body=b"x")
        code = main(
            ["account", "delete", "--user-id", person, "--yes", "--database-url", lifecycle_db, "--stack", "staging"]
        )

    out = capsys.readouterr().out
    assert code == 0, out
    # Staging keeps dumps 14 days and old versions 30; the prune waits 2 days and runs daily.
    gone_by = (datetime.now(UTC) + timedelta(days=14 + 30 + 2 + 1)).date()
    assert (
        f"{person}: backups: its rows in older dumps and 2 copies of its files in s3://backups are gone by "
        f"{gone_by.isoformat()}" in out
    )
    with psycopg.connect(lifecycle_db) as conn:
        record = conn.execute(
            "select backup_copies, backup_copies_gone_by, row_to_json(e)::text from private.account_erasures e"
        ).fetchone()
    assert record[:2] == (2, gone_by)
    assert person not in record[2]


def test_without_a_stack_the_erasure_says_how_to_record_it(
    lifecycle_db: str, storage: StorageStandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    with psycopg.connect(lifecycle_db, autocommit=True) as conn:
        person = new_user(conn)
    monkeypatch.setenv("SUPABASE_URL", storage.url)
    monkeypatch.setenv("SUPABASE_SERVICE_ROLE_KEY", SERVICE_KEY)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    assert main(["account", "delete", "--user-id", person, "--yes", "--database-url", lifecycle_db]) == 0
    assert "give --stack (or $PULUMI_STACK) to record when the backups' copies" in capsys.readouterr().out
