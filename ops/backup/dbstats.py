"""What the manifest records about the database, read inside the dump's own snapshot so it matches the dump."""

from __future__ import annotations

import psycopg
from psycopg import sql

from ops.backup.pgtools import scalar

# Platform-owned schemas: Supabase creates and upgrades them, the postgres role cannot read all of them,
# and a new project already has them. They are left out of the dump entirely.
EXCLUDED_SCHEMAS: tuple[str, ...] = (
    "extensions",
    "graphql",
    "graphql_public",
    "realtime",
    "_realtime",
    "pgsodium",
    "pgsodium_masks",
    "vault",
    "supabase_functions",
    "net",
    "cron",
    "pgbouncer",
    "_analytics",
    "pgtle",
    "topology",
)
# Platform-owned schemas whose rows are the users' data (accounts, bucket and object records): the dump
# keeps them, and a restore puts back their rows (and the policies and triggers our migrations add to
# them) but never their definitions, which belong to the platform.
DATA_ONLY_SCHEMAS: tuple[str, ...] = ("auth", "storage")

_TABLES = """
select n.nspname, c.relname
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r'
  and n.nspname <> all(%(skip)s)
  and n.nspname not like 'pg\\_%%'
  and n.nspname <> 'information_schema'
  -- Tables created by an extension are not dumped (the extension recreates them).
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
"""


def dumped_tables(conn: psycopg.Connection, excluded: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(row[0], row[1]) for row in conn.execute(_TABLES, {"skip": list(excluded)}).fetchall()]


def row_counts(conn: psycopg.Connection, excluded: tuple[str, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for schema, table in dumped_tables(conn, excluded):
        query = sql.SQL("select count(*) from only {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        counts[f"{schema}.{table}"] = int(scalar(conn, query))
    return counts


def server_version(conn: psycopg.Connection) -> str:
    return str(scalar(conn, "show server_version"))


def newest_migration(conn: psycopg.Connection) -> str | None:
    """The newest version in supabase_migrations.schema_migrations, or None for a database without history."""
    exists = conn.execute("select to_regclass('supabase_migrations.schema_migrations') is not null").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute("select max(version) from supabase_migrations.schema_migrations").fetchone()
    return None if row is None or row[0] is None else str(row[0])
