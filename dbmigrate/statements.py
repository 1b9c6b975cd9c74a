"""A migration file's statements: split as the Supabase CLI splits them, checked with PostgreSQL's parser.

The pieces are the CLI's (see splitter.py), so the history row holds what the CLI would store and each piece
is sent on its own as the CLI sends it. Each piece is then parsed with the real PostgreSQL parser (pglast,
which embeds libpg_query): a syntax error anywhere stops the run before anything is applied, and a piece
the CLI would send as one but that holds two statements (an unclosed quote, `begin atomic` used as words)
is refused rather than sent.

A file whose first line is `-- migration: no-transaction` runs outside a transaction, one statement at a
time (for CREATE INDEX CONCURRENTLY and the like); any other file is one transaction, and statements that
PostgreSQL refuses inside one are refused before anything runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from pglast import parser as pg_parser

from dbmigrate.errors import MigrationFileError
from dbmigrate.splitter import split_cli

NO_TRANSACTION_MARKER = "-- migration: no-transaction"
# The marker, and near misses of it (a typo must not silently leave the file in a transaction).
_MARKER_LINE = re.compile(rb"^[ \t]*--[ \t]*migration[ \t]*:[ \t]*no[-_ ]?transactions?[ \t]*$", re.I | re.M)

# Statement kinds PostgreSQL runs only outside a transaction block, as they appear in the parser's JSON
# (VACUUM is a VacuumStmt with is_vacuumcmd; ANALYZE, also a VacuumStmt, runs in a transaction).
_NOT_IN_TRANSACTION = (
    '"is_vacuumcmd":true',
    '"CreatedbStmt"',
    '"DropdbStmt"',
    '"AlterSystemStmt"',
    '"CreateTableSpaceStmt"',
    '"DropTableSpaceStmt"',
    '"concurrent":true',
)
_CONCURRENT_REINDEX = re.compile(r'"ReindexStmt".*"defname":"concurrently"')


@dataclass(frozen=True)
class ConcurrentIndex:
    """A CREATE INDEX CONCURRENTLY in a no-transaction file: what to clean up if a failed run left it invalid."""

    index: str
    table_schema: str | None
    table: str


@dataclass(frozen=True)
class Statement:
    sql: str  # exactly the piece the Supabase CLI sends and stores, leading comments included
    line: int  # 1-based line of the piece's first character in its file
    concurrent_index: ConcurrentIndex | None = None
    comment_only: bool = False  # the CLI keeps a trailing comment as a statement; there is nothing to run


@dataclass(frozen=True)
class ParsedMigration:
    statements: tuple[Statement, ...]
    in_transaction: bool


@lru_cache(maxsize=64)
def parse_migration(data: bytes, *, source: str) -> ParsedMigration:
    """The statements of one file, parsed once (cached by content: a no-op run and the apply share it)."""
    in_transaction = _runs_in_transaction(data, source)
    statements = []
    line, counted_to = 1, 0
    for offset, piece in split_cli(data):
        line += data.count(b"\n", counted_to, offset)
        counted_to = offset
        statements.append(_checked(piece, line, source, in_transaction))
    return ParsedMigration(tuple(statements), in_transaction)


def _runs_in_transaction(data: bytes, source: str) -> bool:
    """False when the first line is the no-transaction marker; a marker anywhere else is a mistake."""
    for match in _MARKER_LINE.finditer(data):
        if match.start() == 0 and match.group().rstrip().decode() == NO_TRANSACTION_MARKER:
            return False
        line = data.count(b"\n", 0, match.start()) + 1
        raise MigrationFileError(
            f"{source}, line {line}: `-- migration:` marks a file that runs outside a transaction; write it as "
            f"the file's first line, exactly `{NO_TRANSACTION_MARKER}` (see sql/README.md)"
        )
    return True


def _checked(piece: str, line: int, source: str, in_transaction: bool) -> Statement:
    try:
        tree = pg_parser.parse_sql_json(piece)
    except pg_parser.ParseError as exc:
        message, offset = exc.args[0], (exc.args[1] if len(exc.args) > 1 else None) or 0
        error_line = line + piece.count("\n", 0, max(0, min(int(offset), len(piece))))
        raise MigrationFileError(f"{source}, line {error_line}: {message}; fix the SQL") from None
    if tree.count('{"stmt":') > 1:
        raise MigrationFileError(
            f"{source}, line {line}: the Supabase CLI would send this as one statement, but it holds several "
            "(look for an unclosed quote or parenthesis, or the words `begin atomic` outside a SQL function "
            "body, before the next `;`); fix the SQL so each statement ends with its own `;`"
        )
    kind = _first_kind(tree)
    if kind == "TransactionStmt":
        raise MigrationFileError(
            f"{source}, line {line}: BEGIN / COMMIT / ROLLBACK do not belong in a migration: a file is one "
            f"transaction, or none with `{NO_TRANSACTION_MARKER}`; remove the statement"
        )
    needs_no_transaction = any(marker in tree for marker in _NOT_IN_TRANSACTION) or bool(
        _CONCURRENT_REINDEX.search(tree)
    )
    if needs_no_transaction and in_transaction:
        raise MigrationFileError(
            f"{source}, line {line}: {kind.removesuffix('Stmt')} cannot run inside the migration's transaction "
            "(each file is applied atomically); move it to a file of its own whose first line is "
            f"`{NO_TRANSACTION_MARKER}` (see sql/README.md)"
        )
    index = _concurrent_index(tree) if kind == "IndexStmt" and not in_transaction else None
    return Statement(sql=piece, line=line, concurrent_index=index, comment_only=kind == "")


def _first_kind(tree: str) -> str:
    match = re.search(r'\{"stmt":\{"(\w+)"', tree)
    return match[1] if match else ""


def _concurrent_index(tree: str) -> ConcurrentIndex | None:
    node = json.loads(tree)["stmts"][0]["stmt"]["IndexStmt"]
    if not node.get("concurrent") or not node.get("idxname"):
        return None
    relation = node["relation"]
    return ConcurrentIndex(index=node["idxname"], table_schema=relation.get("schemaname"), table=relation["relname"])
