"""The local stack through the real Pulumi engine, against a real PostgreSQL: what `make local` and
`pulumi up --stack local` do."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from ops.engine import open_stack
from tests.engine.helpers import run

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BUCKETS = {"avatars", "automation-results", "ticket-attachments", "documents", "thumbnails", "exports"}
# Idempotent on purpose: the refresh test deletes its history row and the next `up` runs it again.
EXTRA = ("29991231000000_extra_probe.sql", "create table if not exists public.extra_probe (id int);\n")


# Several engine runs, each starting the CLI and a provider host: minutes on a loaded machine.
@pytest.mark.timeout(900)
def test_local_stack_lifecycle_up_preview_new_file_refresh_destroy(engine, fresh_db, tmp_path):
    migrations = tmp_path / "migrations"
    shutil.copytree(PROJECT_ROOT / "sql" / "migrations", migrations)
    shipped = sorted(p.name[:14] for p in migrations.glob("*.sql"))
    stack = open_stack("local", engine(), config={"database": {"localUrl": fresh_db, "migrationsDir": str(migrations)}})

    # up from nothing: every migration and every bucket
    result, steps = run(stack.up)
    assert set(steps.ops.values()) == {"create"}, steps.ops
    assert _applied(fresh_db) == shipped
    assert _buckets(fresh_db) == BUCKETS
    assert result.outputs["appliedMigrations"].value == len(shipped)

    # a second preview: nothing to do
    preview, steps = run(stack.preview)
    assert not steps.changed(), steps.changed()
    assert set(preview.change_summary) == {"same"}

    # a new migration file: one update, and only it is applied
    (migrations / EXTRA[0]).write_text(EXTRA[1])
    preview, steps = run(stack.preview)
    assert steps.changed() == {"platform-db-migrations": "update"}
    assert "29991231000000" not in _applied(fresh_db)
    _, steps = run(stack.up)
    assert steps.changed() == {"platform-db-migrations": "update"}
    assert _applied(fresh_db) == [*shipped, "29991231000000"]

    # a history row deleted by hand: refresh sees it, the next up puts it back
    _sql(fresh_db, "delete from supabase_migrations.schema_migrations where version = '29991231000000'")
    refreshed, _ = run(stack.refresh)
    assert refreshed.summary.resource_changes.get("update") == 1, refreshed.summary.resource_changes
    _, steps = run(stack.up)
    assert steps.changed() == {"platform-db-migrations": "update"}
    assert _applied(fresh_db) == [*shipped, "29991231000000"]

    # destroy drops no schema and no data: the tables and their history stay
    _sql(fresh_db, "insert into public.extra_probe values (1)")
    run(stack.destroy)
    assert _applied(fresh_db) == [*shipped, "29991231000000"]
    assert _sql(fresh_db, "select count(*) from public.extra_probe") == [(1,)]


def _applied(url: str) -> list[str]:
    return [row[0] for row in _sql(url, "select version from supabase_migrations.schema_migrations order by 1")]


def _buckets(url: str) -> set[str]:
    return {row[0] for row in _sql(url, "select id from storage.buckets")}


def _sql(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []
