"""The local stack's embedded PostgreSQL: the server (server.py), the checks before it starts (postgres_cpu.py,
port_owner.py) and after (vector_smoke.py). Callers import from here."""

from ops.localdb.server import (
    LocalDatabase,
    LocalDatabaseError,
    PortTakenError,
    free_tcp_port,
    postgres_bin_dir,
)

__all__ = ["LocalDatabase", "LocalDatabaseError", "PortTakenError", "free_tcp_port", "postgres_bin_dir"]
