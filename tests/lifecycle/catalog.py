"""What the catalog says about a person: every table of every schema, searched for their id and e-mail.

Read from pg_class, not from a list kept by hand, so a table a later migration adds is searched too."""

from __future__ import annotations

import psycopg
from psycopg import sql

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


def every_table(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(schema, table) of every table: ordinary tables, partitions, and partitioned parents (their rows are their
    partitions' rows, so a row there is counted twice; what matters is whether any is found)."""
    return [
        (s, t)
        for s, t in conn.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('r', 'p') and n.nspname <> all(%s) and n.nspname not like 'pg_temp%%' "
            "and n.nspname not like 'pg_toast%%' order by 1, 2",
            (list(SYSTEM_SCHEMAS),),
        )
    ]


def tables_naming(conn: psycopg.Connection, *needles: str) -> dict[str, int]:
    """`schema.table` -> how many of its rows hold any of `needles` (case-insensitive) anywhere in the row."""
    found: dict[str, int] = {}
    lowered = [needle.lower() for needle in needles]
    for schema, table in every_table(conn):
        condition = sql.SQL(" or ").join(
            sql.SQL("strpos(lower(t::text), {}) > 0").format(sql.Literal(n)) for n in lowered
        )
        query = sql.SQL("select count(*) from {}.{} t where {}").format(
            sql.Identifier(schema), sql.Identifier(table), condition
        )
        count = conn.execute(query).fetchone()[0]
        if count:
            found[f"{schema}.{table}"] = count
    return found


def rows_naming(conn: psycopg.Connection, needle: str) -> dict[str, list[str]]:
    """`schema.table` -> the text of each row holding `needle`, sorted (to compare before and after)."""
    rows: dict[str, list[str]] = {}
    for schema, table in every_table(conn):
        query = sql.SQL("select t::text from {}.{} t where strpos(lower(t::text), {}) > 0").format(
            sql.Identifier(schema), sql.Identifier(table), sql.Literal(needle.lower())
        )
        texts = sorted(row[0] for row in conn.execute(query))
        if texts:
            rows[f"{schema}.{table}"] = texts
    return rows
