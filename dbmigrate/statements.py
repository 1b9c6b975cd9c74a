"""Splitting a migration into statements with the real PostgreSQL parser (pglast, which embeds libpg_query).

Splitting is needed for the history row (the Supabase CLI stores each statement) and for errors that point at
a line; a hand-written splitter would get dollar quotes, comments and BEGIN ATOMIC bodies wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pglast
from pglast import parser as pg_parser

from dbmigrate.errors import MigrationFileError


@dataclass(frozen=True)
class Statement:
    sql: str
    line: int  # 1-based line of the statement's first character in its file


@lru_cache(maxsize=512)
def split_statements(content: str, *, source: str) -> list[Statement]:
    """The statements of one file, parsed once (cached by content: a no-op run and the apply share it)."""
    try:
        parsed = pglast.parse_sql(content)
    except pg_parser.ParseError as exc:
        message, byte_offset = exc.args[0], (exc.args[1] if len(exc.args) > 1 else 0)
        # The parser's error offset counts UTF-8 bytes; lines are counted in characters.
        offset = _char_offset(content.encode("utf-8"), byte_offset)
        raise MigrationFileError(f"{source}, line {_line_at(content, offset)}: {message}; fix the SQL") from None
    _refuse_non_transactional(parsed, source, content)
    statements = []
    for raw in parsed:
        start = _skip_blanks_and_comments(content, raw.stmt_location)
        end = raw.stmt_location + raw.stmt_len if raw.stmt_len else len(content)
        statements.append(Statement(sql=content[start:end].rstrip(), line=content.count("\n", 0, start) + 1))
    return statements


def _skip_blanks_and_comments(content: str, offset: int) -> int:
    """Where the statement itself starts: the parser's location includes what precedes it after the last `;`."""
    while offset < len(content):
        if content[offset].isspace():
            offset += 1
        elif content.startswith("--", offset):
            newline = content.find("\n", offset)
            offset = len(content) if newline < 0 else newline + 1
        elif content.startswith("/*", offset):
            close = content.find("*/", offset + 2)
            offset = len(content) if close < 0 else close + 2
        else:
            break
    return offset


def _line_at(content: str, offset: int) -> int:
    """1-based line of the first character of SQL at or after `offset`."""
    return content.count("\n", 0, _skip_blanks_and_comments(content, offset)) + 1


def _char_offset(encoded: bytes, byte_offset: int) -> int:
    return len(encoded[:byte_offset].decode("utf-8", errors="ignore"))


def _refuse_non_transactional(parsed: tuple, source: str, content: str) -> None:
    """Each file runs in one transaction; statements PostgreSQL refuses inside one would fail half-way."""
    for raw in parsed:
        node = raw.stmt
        kind = type(node).__name__
        refused = (
            (kind == "IndexStmt" and node.concurrent)
            or kind in {"VacuumStmt", "CreatedbStmt", "DropdbStmt", "AlterSystemStmt", "CreateTableSpaceStmt"}
            or (kind == "TransactionStmt")
        )
        if refused:
            line = _line_at(content, raw.stmt_location)
            raise MigrationFileError(
                f"{source}, line {line}: {kind.removesuffix('Stmt')} cannot run inside the migration's transaction "
                "(each file is applied atomically); remove it, or drop CONCURRENTLY / BEGIN / COMMIT from the file"
            )
