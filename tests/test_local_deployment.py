"""The engine-less deployment of the local stack: the program under mocks, its dynamic resources through the
real provider host, against a real database, with state kept between runs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import psycopg

from ops.engineless.deploy import deploy

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_first_run_applies_everything_second_changes_nothing_new_file_applies_only_it(fresh_db, tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations)
    state = tmp_path / "state" / "local.json"
    overrides = {"database": {"localUrl": fresh_db, "migrationsDir": str(migrations)}}
    shipped = sorted(p.name[:14] for p in migrations.glob("*.sql"))

    first = deploy("local", state, config_overrides=overrides)
    assert first.actions()["platform-db-migrations"] == "create"
    assert set(first.actions().values()) == {"create"} and len(first.actions()) > 1  # the buckets too
    assert _applied(fresh_db) == shipped

    second = deploy("local", state, config_overrides=overrides)
    assert set(second.actions().values()) == {"same"} and not second.changed

    (migrations / "29991231000000_extra.sql").write_text("create table public.extra_probe (id int);\n")
    preview = deploy("local", state, config_overrides=overrides, preview=True)
    assert preview.actions()["platform-db-migrations"] == "update"
    assert "29991231000000" not in _applied(fresh_db)  # a preview changes nothing

    third = deploy("local", state, config_overrides=overrides)
    assert third.actions()["platform-db-migrations"] == "update"
    assert {a for n, a in third.actions().items() if n != "platform-db-migrations"} == {"same"}
    assert _applied(fresh_db) == [*shipped, "29991231000000"]
    assert third.run.outputs["appliedMigrations"] == len(shipped) + 1


def test_state_file_holds_no_secret_in_plain_text(fresh_db, tmp_path):
    state = tmp_path / "local.json"
    secret_url = fresh_db  # the URL is a secret input: it must be encrypted at rest
    deploy("local", state, config_overrides={"database": {"localUrl": secret_url}})
    text = state.read_text()
    assert secret_url not in text
    entry = next(iter(json.loads(text).values()))
    assert "ciphertext" in entry["inputs"]["connection"]


def _applied(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute("select version from supabase_migrations.schema_migrations order by 1")]
