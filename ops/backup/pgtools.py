"""The PostgreSQL client programs (pg_dump, pg_restore, psql) and how to hand them a connection.

Client and server versions must be compatible (pg_dump refuses a newer server), so the binaries
are chosen explicitly: --pg-bin-dir, else $PG_BIN_DIR or the embedded server's, else PATH.
The password never goes on a command line (visible in `ps`); it travels in PGPASSWORD.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ops.backup.errors import BackupError
from ops.localdb import LocalDatabaseError, postgres_bin_dir


def scalar(db: psycopg.Connection, query: str | sql.SQL | sql.Composed, params: list[Any] | None = None) -> Any:
    """The first column of the first row of a query that always returns one (count(*), show, a function)."""
    row = db.execute(query, params).fetchone()
    if row is None:
        raise BackupError(f"the database returned no row for {query if isinstance(query, str) else 'a query'}")
    return row[0]


@dataclass(frozen=True)
class PgClient:
    bin_dir: Path | None = None

    def path(self, program: str) -> str:
        for folder in self._candidate_dirs():
            candidate = folder / program
            if candidate.exists():
                return str(candidate)
        found = shutil.which(program)
        if found:
            return found
        raise BackupError(
            f"{program} not found; pass --pg-bin-dir with the bin folder of a PostgreSQL client as new as the "
            "server, or put it on PATH"
        )

    def version(self, program: str) -> str:
        out = subprocess.run([self.path(program), "--version"], capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def _candidate_dirs(self) -> list[Path]:
        if self.bin_dir is not None:
            return [self.bin_dir]
        try:
            return [postgres_bin_dir()]
        except LocalDatabaseError:
            return []


@dataclass(frozen=True)
class Connection:
    """A database URL split into a password-free conninfo for argv and an environment for the password."""

    conninfo: str
    env: dict[str, str]
    label: str

    @classmethod
    def from_url(cls, url: str) -> Connection:
        try:
            params = conninfo_to_dict(url)
        except Exception:
            # `from None`: psycopg's message quotes the URL, password included.
            raise BackupError(
                "the database URL is not a valid PostgreSQL connection string; expected "
                "postgresql://user[:password]@host[:port]/dbname"
            ) from None
        password = params.pop("password", None)
        env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "15")}
        if password:
            env["PGPASSWORD"] = str(password)
        label = (
            f"{params.get('user', '?')}@{params.get('host', 'socket')}:{params.get('port', 5432)}/"
            f"{params.get('dbname', '?')}"
        )
        return cls(conninfo=make_conninfo(**{k: str(v) for k, v in params.items()}), env=env, label=label)

    @property
    def psycopg_conninfo(self) -> str:
        password = self.env.get("PGPASSWORD")
        return make_conninfo(self.conninfo, password=password) if password else self.conninfo
