"""The local stack through the plain CLI, as a user types it after `make install`: `pulumi stack init`, `config
set`, `up`, `preview --expect-no-changes`, a hand edit seen by `refresh`, `stack output`, and `destroy`, which
keeps the schema and its data. No Automation API: each command is the `pulumi` binary, run in a copy of the
checkout with the language host finding `.venv` and loading `__main__.py` itself."""

from __future__ import annotations

import json

import psycopg
import pytest
import yaml

from tests.plain_cli.checkout import PROJECT_ROOT, PlainCheckout

# Every bucket the stack declares (Pulumi.yaml's storageBuckets default; the local stack file keeps it).
BUCKETS = {
    bucket["id"]
    for bucket in yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["config"]["storageBuckets"]["default"]
}
EXTRA = ("29991231000000_plain_probe.sql", "create table if not exists public.plain_probe (id int);\n")


# Eight CLI runs, each starting the language host, the program and a provider host: minutes on a loaded machine.
@pytest.mark.timeout(900)
def test_plain_commands_on_the_local_stack(plain_cli, fresh_db, tmp_path):
    checkout = PlainCheckout.create(plain_cli, tmp_path, "local")
    (checkout.root / "sql" / "migrations" / EXTRA[0]).write_text(EXTRA[1])
    shipped = sorted(p.name[:14] for p in (checkout.root / "sql" / "migrations").glob("*.sql"))

    checkout.run("stack", "init")
    checkout.run("config", "set", "--path", "database.localUrl", fresh_db)

    up = checkout.run("up", "--yes")
    assert "platform-db-migrations" in up.stdout and "created" in up.stdout, up.stdout
    assert _applied(fresh_db) == shipped
    assert _buckets(fresh_db) == BUCKETS

    checkout.run("preview", "--expect-no-changes")

    outputs = json.loads(checkout.run("stack", "output", "--json").stdout)
    assert outputs["appliedMigrations"] == len(shipped) and outputs["environment"] == "local"

    # A history row deleted by hand: refresh records it, the preview then shows the update, up puts it back.
    _sql(fresh_db, f"delete from supabase_migrations.schema_migrations where version = '{EXTRA[0][:14]}'")
    refreshed = checkout.run("refresh", "--yes")
    assert "1 updated" in refreshed.stdout, refreshed.stdout
    drifted = checkout.run("preview", "--expect-no-changes", check=False)
    assert drifted.returncode != 0 and "platform-db-migrations" in drifted.stdout, drifted.stdout
    checkout.run("up", "--yes")
    assert _applied(fresh_db) == shipped

    # destroy drops no schema and no data: the tables, their rows and their history stay (empty buckets go).
    _sql(fresh_db, "insert into public.plain_probe values (1)")
    destroyed = checkout.run("destroy", "--yes")
    assert "deleted" in destroyed.stdout, destroyed.stdout
    assert _applied(fresh_db) == shipped
    assert _sql(fresh_db, "select count(*) from public.plain_probe") == [(1,)]


def _applied(url: str) -> list[str]:
    return [row[0] for row in _sql(url, "select version from supabase_migrations.schema_migrations order by 1")]


def _buckets(url: str) -> set[str]:
    return {row[0] for row in _sql(url, "select id from storage.buckets")}


def _sql(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []
