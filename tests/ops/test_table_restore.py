"""Single-table restore, guide 000 section 9.3 scenario 1: put back one table, touch nothing else."""

from __future__ import annotations

from tests.ops.helpers import execute, ops, scalar, table_checksums
from tests.ops.test_backup_integrity import restore
from tests.ops.test_backup_restore import backup


def test_single_table_restore_puts_back_that_table_and_touches_nothing_else(s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    at_backup = table_checksums(source_db)
    # The accident: rows deleted (their messages cascade away), one row edited; later, unrelated writes.
    execute(source_db, "delete from public.conversations where id % 3 = 0")
    execute(source_db, "update public.conversations set title = 'edited' where id = 1")
    execute(source_db, "update public.profiles set display_name = 'renamed after the backup'")
    execute(source_db, "insert into public.audit_log (what) values ('written after the backup')")
    before_restore = table_checksums(source_db)

    code = restore(s3_endpoint, bucket, source_db, "--table", "public.conversations")
    assert code == 0, capsys.readouterr().err
    after = table_checksums(source_db)
    assert after["public.conversations"] == at_backup["public.conversations"], (
        "the table must be exactly as in the backup (triggers paused: updated_at untouched)"
    )
    for table, fingerprint in before_restore.items():
        if table != "public.conversations":
            assert after[table] == fingerprint, f"{table} changed, but only public.conversations was restored"
    out = capsys.readouterr().out
    assert "public.conversations: 166 inserted, 1 updated, 0 deleted" in out


def test_replacing_would_reach_another_table_so_nothing_changes(s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    execute(source_db, "delete from public.conversations where id <= 10")
    # Newer than the backup, and referenced: replacing the table would cascade into messages.
    execute(
        source_db,
        "insert into public.conversations (owner_id, title) select owner_id, 'new' from public.conversations limit 1",
    )
    execute(
        source_db,
        "insert into public.messages (conversation_id, body) select max(id), 'reply' from public.conversations",
    )
    before = table_checksums(source_db)

    assert restore(s3_endpoint, bucket, source_db, "--table", "conversations") == 1
    err = capsys.readouterr().err
    assert "public.messages" in err and "--only-missing" in err
    assert table_checksums(source_db) == before

    # Putting back only the deleted rows keeps the newer one and its message.
    assert restore(s3_endpoint, bucket, source_db, "--table", "conversations", "--only-missing") == 0
    assert scalar(source_db, "select count(*) from public.conversations") == 501
    assert scalar(source_db, "select count(*) from public.conversations where title = 'new'") == 1
    assert table_checksums(source_db)["public.messages"] == before["public.messages"]


def test_table_not_in_backup_is_refused_with_the_tables_it_has(s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    assert restore(s3_endpoint, bucket, source_db, "--table", "public.nope") == 1
    err = capsys.readouterr().err
    assert "public.nope" in err and "public.conversations" in err


def test_full_restore_refuses_a_non_empty_target_unless_clean(s3_endpoint, bucket, source_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    at_backup = table_checksums(source_db)
    execute(
        source_db,
        "delete from public.messages; update auth.users set email = 'changed@example.test' where email like 'user1@%'",
    )
    execute(source_db, "update supabase_migrations.schema_migrations set name = 'tampered'")

    assert restore(s3_endpoint, bucket, source_db) == 1
    assert "not empty" in capsys.readouterr().err

    assert restore(s3_endpoint, bucket, source_db, "--clean") == 0
    assert table_checksums(source_db) == at_backup


def test_usage_errors_exit_2(s3_endpoint, bucket, source_db):
    assert ops("restore", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint) == 2
    assert ops("restore", "--stack", "staging", "--bucket", bucket, "--target-url", source_db, "--only-missing") == 2
    assert ops("backup", "--bucket", bucket, "--database-url", source_db) == 2
