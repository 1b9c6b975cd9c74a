"""Reading the migrations folder as the Supabase CLI reads it, and refusing bytes that would fool the engine."""

from __future__ import annotations

import logging

import pytest

from dbmigrate import MigrationFileError, discover


def test_any_digits_and_any_name_are_migrations_in_file_name_order(migrations_dir):
    for name in ("20260101000100_AddCaps.sql", "20260101000050_with spaces.sql", "7_short.sql"):
        (migrations_dir / name).write_text("select 1;\n")
    found = discover(migrations_dir)
    assert [(m.version, m.name) for m in found] == [
        ("20260101000050", "with spaces"),
        ("20260101000100", "AddCaps"),
        ("7", "short"),
    ]


def test_other_files_are_skipped_with_a_warning_naming_them(migrations_dir, caplog):
    (migrations_dir / "20260101000100_caps.sql").write_text("select 1;\n")
    (migrations_dir / "README.md").write_text("notes\n")
    (migrations_dir / "draft.sql").write_text("select 2;\n")
    (migrations_dir / "seeds").mkdir()
    with caplog.at_level(logging.WARNING, logger="dbmigrate.files"):
        found = discover(migrations_dir)
    assert [m.version for m in found] == ["20260101000100"]
    warned = " ".join(caplog.messages)
    assert "skipping README.md" in warned and "skipping draft.sql" in warned and "seeds" not in warned


def test_a_first_pre_2021_init_file_is_skipped_as_the_cli_skips_it(migrations_dir, caplog):
    (migrations_dir / "20211208000000_init.sql").write_text("select 1;\n")
    (migrations_dir / "20211209000000_later.sql").write_text("select 1;\n")
    with caplog.at_level(logging.WARNING, logger="dbmigrate.files"):
        assert [m.version for m in discover(migrations_dir)] == ["20211209000000"]
    assert "skipping 20211208000000_init.sql" in caplog.text


def test_two_files_with_one_version_are_refused(migrations_dir):
    (migrations_dir / "20260101000100_a.sql").write_text("select 1;\n")
    (migrations_dir / "20260101000100_b.sql").write_text("select 1;\n")
    with pytest.raises(MigrationFileError, match="share version 20260101000100"):
        discover(migrations_dir)


def test_nul_byte_is_refused_naming_the_file_and_offset(migrations_dir):
    # PostgreSQL's parser stops at a NUL: the drop after it would never run, yet the file would count as applied.
    (migrations_dir / "20260101000100_nul.sql").write_bytes(b"create table a (id int);\n\0drop table b;\n")
    with pytest.raises(MigrationFileError) as refused:
        discover(migrations_dir)
    assert "20260101000100_nul.sql: NUL byte at offset 25 (line 2)" in str(refused.value)


def test_bytes_that_are_not_utf8_name_the_file_and_offset(migrations_dir):
    (migrations_dir / "20260101000100_latin1.sql").write_bytes("select 'caf\u00e9';\n".encode("latin-1"))
    with pytest.raises(MigrationFileError) as refused:
        discover(migrations_dir)
    assert "20260101000100_latin1.sql: byte 0xe9 at offset 11 (line 1) is not UTF-8" in str(refused.value)
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


def test_statements_keep_crlf_line_endings_as_the_cli_stores_them(migrations_dir):
    (migrations_dir / "20260101000100_crlf.sql").write_bytes(b"-- lead\r\ncreate table a (id int);\r\n")
    [migration] = discover(migrations_dir)
    assert [s.sql for s in migration.statements()] == ["-- lead\r\ncreate table a (id int)"]
