"""Choosing what a restore replays from a dump's table of contents (`pg_restore --list`).

The dump holds every schema but the platform-owned ones. Of `auth` and `storage` (platform-owned, but
holding the users' rows) a restore replays only rows, sequence positions, and the policies and triggers
our migrations add to their tables; their definitions, grants and extensions belong to the platform,
which a target Supabase project (or the local bootstrap) already has.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DATA_ONLY_KINDS = frozenset({"TABLE DATA", "SEQUENCE SET", "POLICY", "TRIGGER"})
# Longest first: "TABLE DATA" must win over "TABLE".
_KINDS = sorted(
    [
        "TABLE DATA",
        "SEQUENCE SET",
        "SEQUENCE OWNED BY",
        "FK CONSTRAINT",
        "MATERIALIZED VIEW DATA",
        "MATERIALIZED VIEW",
        "DEFAULT ACL",
        "ROW SECURITY",
        "TEXT SEARCH CONFIGURATION",
        "TEXT SEARCH DICTIONARY",
        "EVENT TRIGGER",
        "FOREIGN TABLE",
        "LARGE OBJECT",
        "BLOB DATA",
        "BLOBS",
        "OPERATOR CLASS",
        "OPERATOR FAMILY",
        "PUBLICATION TABLE",
        "PUBLICATION TABLES IN SCHEMA",
        "TABLE ATTACH",
        "INDEX ATTACH",
        "USER MAPPING",
        "FOREIGN DATA WRAPPER",
        "SERVER",
        "PUBLICATION",
        "SUBSCRIPTION",
        "STATISTICS",
        "SCHEMA",
        "EXTENSION",
        "COMMENT",
        "ACL",
        "TABLE",
        "SEQUENCE",
        "INDEX",
        "CONSTRAINT",
        "TRIGGER",
        "POLICY",
        "FUNCTION",
        "PROCEDURE",
        "AGGREGATE",
        "TYPE",
        "DOMAIN",
        "VIEW",
        "DEFAULT",
        "RULE",
        "CAST",
        "COLLATION",
        "CONVERSION",
        "OPERATOR",
        "SECURITY LABEL",
        "SHELL TYPE",
        "PROCEDURAL LANGUAGE",
        "ENCODING",
        "STDSTRINGS",
        "SEARCHPATH",
        "DATABASE",
        "DATABASE PROPERTIES",
    ],
    key=len,
    reverse=True,
)
_ENTRY = re.compile(r"^\s*\d+;\s+\d+\s+\d+\s+(?P<rest>.*)$")


@dataclass(frozen=True)
class TocEntry:
    line: str
    kind: str
    schema: str
    tag: str


def parse_entry(line: str) -> TocEntry | None:
    match = _ENTRY.match(line)
    if not match:
        return None
    rest = match.group("rest")
    for kind in _KINDS:
        if rest.startswith(kind + " "):
            schema, _, tag = rest[len(kind) + 1 :].partition(" ")
            return TocEntry(line=line, kind=kind, schema=schema, tag=tag)
    return TocEntry(line=line, kind="?", schema="-", tag=rest)


def wanted(entry: TocEntry, data_only_schemas: tuple[str, ...]) -> bool:
    if entry.kind == "EXTENSION" or (entry.kind == "COMMENT" and entry.tag.startswith("EXTENSION ")):
        return False  # the platform installs extensions; their owner is not the restoring role
    if entry.schema in data_only_schemas:
        return entry.kind in _DATA_ONLY_KINDS
    if entry.kind == "SCHEMA":
        return entry.tag.split(" ")[0] not in data_only_schemas
    if entry.kind in {"ACL", "COMMENT", "SECURITY LABEL"} and entry.schema == "-":
        words = entry.tag.split(" ")
        return not (len(words) >= 2 and words[0] == "SCHEMA" and words[1] in data_only_schemas)
    return True


def restore_list(toc: str, data_only_schemas: tuple[str, ...]) -> tuple[str, list[TocEntry]]:
    """The `pg_restore -L` list to replay, and the data-only tables' data entries it includes."""
    kept: list[str] = []
    data_only_tables: list[TocEntry] = []
    for line in toc.splitlines():
        entry = parse_entry(line)
        if entry is None:
            continue
        if wanted(entry, data_only_schemas):
            kept.append(line)
            if entry.kind == "TABLE DATA" and entry.schema in data_only_schemas:
                data_only_tables.append(entry)
    return "\n".join(kept) + "\n", data_only_tables
