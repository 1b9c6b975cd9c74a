"""Our engine and the real Supabase CLI on the same databases: both agree on what is applied, either way."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import psycopg
import pytest

import dbmigrate
from dbmigrate.splitter import split_cli
from ops.cli import main as ops_main
from tests.conftest import PROJECT_ROOT
from tests.database.supabase_cli import SupabaseCli, supabase_cli_for
from tests.database.test_cli_splitter import QUIRKS

REPO_MIGRATIONS = PROJECT_ROOT / "sql" / "migrations"
# Comments where the CLI keeps them (leading, trailing) and a name the old engine refused.
COMMENTED = "-- adds caps\ncreate table caps (id int); -- tail comment\n/* block */ select 1;\n-- trailing only\n"
NEW_TABLE = "create table if not exists later_{n} (id int);\n"


@pytest.fixture
def cli(pg_cluster, fresh_db, tmp_path) -> SupabaseCli:
    return supabase_cli_for(pg_cluster, fresh_db, tmp_path / "project")


def with_repo_migrations(cli: SupabaseCli) -> Path:
    for path in REPO_MIGRATIONS.glob("*.sql"):
        shutil.copy(path, cli.migrations_dir / path.name)
    (cli.migrations_dir / "20990101000100_AddCaps.sql").write_text(COMMENTED)
    return cli.migrations_dir


def history_rows(url: str) -> list[tuple[str, str, list[str]]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select version, name, statements from supabase_migrations.schema_migrations order by version"
        ).fetchall()


def test_history_rows_are_the_ones_the_cli_writes(pg_cluster, fresh_db, cli, tmp_path):
    folder = with_repo_migrations(cli)
    cli.push()
    theirs = history_rows(fresh_db)

    ours_url = pg_cluster.create_database("ours_beside_cli")
    try:
        dbmigrate.apply(ours_url, folder)
        assert history_rows(ours_url) == theirs
    finally:
        pg_cluster.drop_database("ours_beside_cli")
    assert len(theirs) == len(list(REPO_MIGRATIONS.glob("*.sql"))) + 1 and theirs[-1] == (
        "20990101000100",
        "AddCaps",
        ["-- adds caps\ncreate table caps (id int)", "-- tail comment\n/* block */ select 1", "-- trailing only"],
    )


def test_cli_push_then_our_run_applies_nothing_and_says_what_it_records(fresh_db, cli, capsys):
    folder = with_repo_migrations(cli)
    cli.push()
    assert dbmigrate.status(fresh_db, dbmigrate.load_files(folder)).pending == ()

    code = ops_main(["migrate", "--database-url", fresh_db, "--migrations-dir", str(folder)])
    out = capsys.readouterr().out
    assert code == 0
    applied_by_cli = len(list(REPO_MIGRATIONS.glob("*.sql"))) + 1
    assert (
        f"recorded our checksum of {applied_by_cli} version(s) applied by another tool" in out
        and "20990101000100" in out
    )
    assert "nothing to apply" in out
    # A new file pushed by the CLI is applied for us too; ours afterwards is applied for the CLI.
    (folder / "20990201000000_cli_new.sql").write_text(NEW_TABLE.format(n=1))
    cli.push()
    assert dbmigrate.apply(fresh_db, folder).applied_now == []
    (folder / "20990301000000_our_new.sql").write_text(NEW_TABLE.format(n=2))
    assert dbmigrate.apply(fresh_db, folder).applied_now == ["20990301000000"]
    assert "Remote database is up to date" in cli.push_dry_run()
    assert all(local == remote for local, remote in cli.migration_list())


def test_our_apply_then_cli_list_and_dry_run_agree(fresh_db, cli):
    folder = with_repo_migrations(cli)
    dbmigrate.apply(fresh_db, folder)
    listed = cli.migration_list()
    assert [local for local, _ in listed] == [m.version for m in dbmigrate.load_files(folder)]
    assert all(local == remote for local, remote in listed)
    assert "Remote database is up to date" in cli.push_dry_run()

    (folder / "20990201000000_ours_pending.sql").write_text(NEW_TABLE.format(n=1))
    assert "20990201000000_ours_pending.sql" in cli.push_dry_run()
    assert ("20990201000000", "") in cli.migration_list()


def test_repair_of_the_whole_table_works_on_our_database_and_our_next_run_copes(fresh_db, cli):
    folder = with_repo_migrations(cli)
    dbmigrate.apply(fresh_db, folder)
    cli.repair("applied")  # truncates the CLI's table: our checksum table must not hold a foreign key onto it
    assert dbmigrate.apply(fresh_db, folder).plan.is_noop  # rows rewritten the same: our checksums still vouch

    # An edited file marked applied again by the operator through the CLI: its new checksum is recorded.
    edited = folder / "20990101000100_AddCaps.sql"
    edited.write_text(COMMENTED + "-- edited after the fact\n")
    cli.repair("applied")
    report = dbmigrate.apply(fresh_db, folder)
    assert report.recorded_checksums == ["20990101000100"] and report.applied_now == []
    assert dbmigrate.apply(fresh_db, folder).plan.is_noop

    cli.repair("reverted")  # the whole table, emptied
    assert dbmigrate.status(fresh_db, dbmigrate.load_files(folder)).applied == ()


def test_one_version_reverted_by_the_cli_is_applied_again_by_our_next_run(fresh_db, cli):
    folder = cli.migrations_dir
    (folder / "20990101000000_a.sql").write_text(NEW_TABLE.format(n=1))
    (folder / "20990102000000_b.sql").write_text(NEW_TABLE.format(n=2))
    dbmigrate.apply(fresh_db, folder)

    cli.repair("reverted", "20990102000000")  # a checksum of ours is left without its history row
    assert [m.version for m in dbmigrate.status(fresh_db, dbmigrate.load_files(folder)).pending] == ["20990102000000"]
    assert dbmigrate.apply(fresh_db, folder).applied_now == ["20990102000000"]

    (folder / "20990102000000_b.sql").write_text(NEW_TABLE.format(n=2) + "-- reworded\n")
    cli.repair("applied", "20990102000000")  # a history row rewritten: our old checksum no longer vouches
    assert dbmigrate.apply(fresh_db, folder).recorded_checksums == ["20990102000000"]
    assert all(local == remote for local, remote in cli.migration_list())


def test_stored_statements_equal_the_clis_for_tricky_and_random_files(fresh_db, cli):
    # `migration repair --status applied` stores each file's statements without running them, so any bytes
    # can be compared: our splitter's hand-checked quirks, then random mixes of every construct it tracks.
    folder = cli.migrations_dir
    files = {f"{index + 1}_quirk.sql": sql for index, (sql, _) in enumerate(QUIRKS)}
    rng = random.Random(13)
    for index in range(300):
        files[f"{1000 + index}_random.sql"] = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 60)))
    for name, sql in files.items():
        (folder / name).write_bytes(sql.encode())
    cli.repair("applied")
    stored = {version: statements for version, _, statements in history_rows(fresh_db)}
    mismatched = [
        name
        for name, sql in files.items()
        if stored[name.split("_")[0]] != [piece for _, piece in split_cli(sql.encode())]
    ]
    assert mismatched == []


FRAGMENTS = [
    "'",
    '"',
    "''",
    "$",
    "$$",
    "$a$",
    "$a",
    "$\u00e9$",
    "-",
    "--",
    "/",
    "/*",
    "*/",
    "*",
    "\\",
    ";",
    ";",
    "(",
    ")",
    "begin",
    "BEGIN",
    " atomic",
    "ATOMIC",
    "end",
    "END",
    "begin atomic",
    "BEGIN\n ATOMIC ",
    "\n",
    " ",
    "\t",
    "\r\n",
    "x",
    "select 1",
    "_",
    "9",
    "c",
    "C",
    "d",
    "\u00e9",
    "\u4e2d",
    "\u0663",
    "\u2014",
    "\u00a0",
    "\u3000",
    "create function f() begin atomic select 1; end;",
]


def test_a_checksum_table_of_the_first_shape_is_upgraded_and_repair_then_works(fresh_db, cli, capsys):
    folder = cli.migrations_dir
    (folder / "20990101000000_a.sql").write_text(NEW_TABLE.format(n=1))
    dbmigrate.apply(fresh_db, folder)
    with psycopg.connect(fresh_db) as conn:  # the table as this engine first created it
        conn.execute("alter table supabase_migrations.schema_migration_checksums drop column statements_digest")
        conn.execute(
            "alter table supabase_migrations.schema_migration_checksums add foreign key (version) "
            "references supabase_migrations.schema_migrations (version) on delete cascade"
        )
    assert cli.repair("applied", check=False).returncode != 0  # what operators hit: TRUNCATE refused

    assert ops_main(["migrate", "--database-url", fresh_db, "--migrations-dir", str(folder), "--dry-run"]) == 0
    assert "would upgrade supabase_migrations.schema_migration_checksums" in capsys.readouterr().out
    assert ops_main(["migrate", "--database-url", fresh_db, "--migrations-dir", str(folder)]) == 0
    assert "upgraded supabase_migrations.schema_migration_checksums" in capsys.readouterr().out
    cli.repair("applied")
    assert dbmigrate.apply(fresh_db, folder).plan.is_noop


def test_the_provider_says_which_checksums_it_recorded_on_a_database_the_cli_pushed(fresh_db, cli):
    from providers.migrations import MigrationsProvider
    from tests.database.test_migrations_provider import props
    from tests.harness.provider_host import ProviderHost

    folder = cli.migrations_dir
    (folder / "20990101000000_a.sql").write_text(NEW_TABLE.format(n=1))
    cli.push()
    with ProviderHost() as host:
        created = host.create(MigrationsProvider(), props(fresh_db, folder))
    assert created.outs["recordedChecksums"] == ["20990101000000"]
    assert [a["checksum"] for a in created.outs["applied"]] == [dbmigrate.load_files(folder)[0].checksum]
