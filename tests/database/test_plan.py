"""The engine's rules, decided from files and history alone."""

from pathlib import Path

import pytest

from dbmigrate import AppliedMigration, MigrationFile, MigrationRefused, make_plan


def migration(version: str, sql: str = "select 1;") -> MigrationFile:
    return MigrationFile(version, f"m{version[-2:]}", Path(f"sql/migrations/{version}_m.sql"), sql)


def applied(m: MigrationFile, checksum: str | None = "same") -> AppliedMigration:
    return AppliedMigration(m.version, m.name, m.checksum if checksum == "same" else checksum)


def test_only_files_missing_from_history_are_pending():
    first, second = migration("20250101000000"), migration("20250102000000")
    plan = make_plan([first, second], [applied(first)])
    assert [m.version for m in plan.pending] == ["20250102000000"]
    assert not plan.is_noop


def test_edited_applied_file_is_refused_naming_it():
    first = migration("20250101000000")
    with pytest.raises(MigrationRefused, match=r"20250101000000_m\.sql was edited"):
        make_plan([first], [applied(first, checksum="0" * 64)])


def test_edited_applied_file_accepted_by_explicit_override_records_new_checksum():
    first = migration("20250101000000")
    plan = make_plan([first], [applied(first, checksum="0" * 64)], accept_changed_versions=frozenset({first.version}))
    assert plan.checksums_to_record == ((first.version, first.checksum),)
    assert plan.pending == ()


def test_database_version_without_file_is_refused():
    first = migration("20250101000000")
    ghost = AppliedMigration("20240101000000", "gone", "x")
    with pytest.raises(MigrationRefused, match="20240101000000"):
        make_plan([first], [ghost, applied(first)])


def test_new_file_older_than_newest_applied_is_refused_unless_allowed():
    old, new = migration("20250101000000"), migration("20250201000000")
    with pytest.raises(MigrationRefused, match="older than the newest applied version 20250201000000"):
        make_plan([old, new], [applied(new)])
    assert [m.version for m in make_plan([old, new], [applied(new)], allow_out_of_order=True).pending] == [old.version]


def test_history_written_by_the_supabase_cli_gets_our_checksum_without_rerunning():
    first = migration("20250101000000")
    plan = make_plan([first], [applied(first, checksum=None)])
    assert plan.pending == () and plan.checksums_to_record == ((first.version, first.checksum),)


def test_crlf_checkout_does_not_look_edited():
    assert migration("20250101000000", "select 1;\r\n").checksum == migration("20250101000000", "select 1;\n").checksum
