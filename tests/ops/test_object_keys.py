"""Issue 20, hole 1, in the operator CLI: a backup or restore copies objects only by canonical keys
(ops/object_keys.py). A storage index entry keyed '<user>/../<other user>/x' would be written back by a restore
into the other user's folder, since Storage resolves the dot segments."""

from __future__ import annotations

import json

import pytest

from ops.backup.layout import storage_object_key
from ops.object_keys import ObjectKeyError, canonical_object_key, object_key_problem
from tests.ops.helpers import storage_backup, storage_restore
from tests.ops.test_foreign_manifest import newest_prefix, read_json

OWNER = "6f1c0b9e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"


@pytest.mark.parametrize(
    "key, problem",
    [
        ("u1/../u2/contract.pdf", 'holds a "." or ".." segment'),
        ("u1/./contract.pdf", 'holds a "." or ".." segment'),
        ("u1//contract.pdf", "holds an empty segment"),
        ("/u1/contract.pdf", "holds an empty segment"),
        ("u1\\..\\u2\\contract.pdf", "holds a backslash"),
        ("u1/%2e%2e/u2/contract.pdf", "holds a percent-escape"),
        ("u1/..%2fu2/contract.pdf", "holds a percent-escape"),
        ("u1/%252e%252e/contract.pdf", "holds a percent-escape"),
        ("u1/con\ntract.pdf", "holds a control character"),
        ("", "is missing"),
        ("x" * 1025, "is longer than 1024 characters"),
    ],
)
def test_non_canonical_keys_are_refused_with_their_reason(key, problem):
    assert object_key_problem(key) == problem
    with pytest.raises(ObjectKeyError, match="only canonical keys"):
        canonical_object_key(key)


def test_canonical_keys_pass_and_the_owner_is_checked_when_known():
    for key in ("u1/contract.pdf", f"{OWNER}/a b/#1 ?.pdf", f"{OWNER}/...hidden", f"{OWNER}/50% off.pdf"):
        assert canonical_object_key(key) == key
    assert object_key_problem(f"{OWNER}/x.pdf", owner=OWNER) is None
    assert object_key_problem("u2/x.pdf", owner=OWNER) == "does not start with its owner's id"
    assert object_key_problem(OWNER, owner=OWNER) == "names no object inside its owner's folder"


def test_restore_refuses_an_index_entry_whose_key_climbs_into_another_folder(
    s3, s3_endpoint, bucket, source_db, capsys
):
    source = f"{bucket}-docs"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/contract.pdf", Body=b"%PDF the attacker's bytes")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    prefix = newest_prefix(s3, bucket, "prod")
    index_key = read_json(s3, bucket, prefix + "manifest.json")["storage"]["index_key"]
    index = read_json(s3, bucket, index_key)

    # The entry rewritten to climb into u2's folder, with a copy where the backup's own layout puts it.
    [entry] = index["objects"].values()
    climbing = "u1/../u2/contract.pdf"
    forged_copy = storage_object_key("prod", source, climbing, entry["etag"])
    s3.copy_object(Bucket=bucket, Key=forged_copy, CopySource={"Bucket": bucket, "Key": entry["backup_key"]})
    forged = {f"{source}/{climbing}": {**entry, "key": climbing, "backup_key": forged_copy}}
    s3.put_object(Bucket=bucket, Key=index_key, Body=json.dumps({"objects": forged}).encode())
    s3.delete_object(Bucket=source, Key="u1/contract.pdf")
    capsys.readouterr()

    code = storage_restore(s3_endpoint, bucket)
    err = capsys.readouterr().err
    assert code == 1, err
    assert 'its object key holds a "." or ".." segment' in err
    assert "Contents" not in s3.list_objects_v2(Bucket=source), "the forged entry was written back"


def test_a_backup_leaves_out_an_object_whose_key_is_not_canonical(s3, s3_endpoint, bucket, source_db, caplog):
    source = f"{bucket}-docs"
    s3.create_bucket(Bucket=source)
    s3.put_object(Bucket=source, Key="u1/contract.pdf", Body=b"%PDF kept")
    s3.put_object(Bucket=source, Key="u1/%2e%2e/u2/contract.pdf", Body=b"%PDF left out")
    assert storage_backup(s3_endpoint, bucket, source_db, source) == 0
    prefix = newest_prefix(s3, bucket, "prod")
    index = read_json(s3, bucket, read_json(s3, bucket, prefix + "manifest.json")["storage"]["index_key"])
    assert sorted(index["objects"]) == [f"{source}/u1/contract.pdf"]
    assert "left out of the backup: its key holds a percent-escape" in caplog.text
