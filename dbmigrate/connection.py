"""Opening the migration connection without ever letting the connection string into a message."""

from __future__ import annotations

import re

import psycopg
from psycopg import conninfo

from dbmigrate.errors import DatabaseUnreachable

APPLICATION_NAME = "ai-platform-migrations"
# A deploy killed mid-statement (out of memory, a lost CI runner) must not keep the migration lock until its
# statement ends: the server checks every 2 s that the client is still there while a statement runs
# (PostgreSQL 14+) and ends the session, which rolls back the file and frees the session advisory lock; TCP
# keepalives do the same for a client whose host vanished without closing the connection. Two runs still never
# apply at once: the lock is only freed with the session that held it.
VANISHED_CLIENT_OPTIONS = (
    "-c client_connection_check_interval=2000",
    "-c tcp_keepalives_idle=15",
    "-c tcp_keepalives_interval=5",
    "-c tcp_keepalives_count=3",
)


def describe_target(url: str) -> str:
    """`user@host:port/dbname`, for messages: everything about the target except the password."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured database"
    host = str(parts.get("host") or "localhost")
    if host.startswith("/"):
        host = "local socket"
    return f"{parts.get('user', '?')}@{host}:{parts.get('port', 5432)}/{parts.get('dbname', '?')}"


def scrub(message: str, url: str) -> str:
    """Removes the URL and its password from a driver message, should a driver ever echo them."""
    try:
        password = conninfo.conninfo_to_dict(url).get("password")
    except psycopg.ProgrammingError:
        password = None
    cleaned = message.replace(url, "<database url>")
    if password:
        cleaned = cleaned.replace(str(password), "***")
    return re.sub(r"postgres(ql)?://\S+", "<database url>", cleaned)


def connect(url: str, *, lock_timeout_seconds: float) -> psycopg.Connection:
    """An autocommit connection whose lock waits give up after `lock_timeout_seconds`.

    The timeout travels in the startup packet, so it costs no round trip, and it covers both the
    migration lock and the table locks a migration's DDL waits for.
    """
    try:
        conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise DatabaseUnreachable(
            "the database URL is not a valid PostgreSQL connection string; expected "
            "postgresql://USER:PASSWORD@HOST:PORT/DBNAME (percent-encode special characters in the password)"
        ) from None
    options = " ".join(
        [f"-c lock_timeout={int(lock_timeout_seconds * 1000)}", "-c statement_timeout=0", *VANISHED_CLIENT_OPTIONS]
    )
    try:
        return psycopg.connect(
            url, autocommit=True, connect_timeout=10, application_name=APPLICATION_NAME, options=options,
            # And the other way round: this side gives up on a server that stopped answering instead of hanging.
            keepalives=1, keepalives_idle=15, keepalives_interval=5, keepalives_count=3,
        )  # fmt: skip
    except psycopg.Error as exc:
        reason = scrub(" ".join(str(exc).split()) or type(exc).__name__, url)
        raise DatabaseUnreachable(
            f"cannot connect to {describe_target(url)}: {reason}. Check that the database is running and "
            "reachable, and the user and password in the connection string"
        ) from None
