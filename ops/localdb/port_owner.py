"""Who holds a TCP port on loopback: the message for a port that is taken names the process, not just errno."""

from __future__ import annotations

import socket

import psutil


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as probe:
        # With SO_REUSEADDR, as PostgreSQL binds: connections in TIME_WAIT from a stopped server do not block it.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def describe_port_owner(port: int) -> str:
    """'pid 123 (postgres -D ...)' for the listener on `port`, or why it cannot be told."""
    try:
        listeners = [
            conn
            for conn in psutil.net_connections(kind="tcp")
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN
        ]
    except psutil.AccessDenied:
        return "a process this user may not inspect"
    for conn in listeners:
        if conn.pid is None:
            continue
        try:
            command = " ".join(psutil.Process(conn.pid).cmdline()) or psutil.Process(conn.pid).name()
        except psutil.Error:
            command = "exited or not inspectable"
        return f"pid {conn.pid} ({' '.join(command.split())[:120]})"
    return "another program (its process is not visible to this user)" if listeners else "a socket not listening yet"
