"""A scratch database for `verify-backup`: one the operator names, or a throwaway embedded PostgreSQL."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ops.localdb import LocalDatabase, free_tcp_port


@contextlib.contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    # Prepared like Supabase (auth, storage, roles), so the dump's platform-table rows have a home.
    workdir = Path(tempfile.mkdtemp(prefix="ops-verify-"))
    cluster = LocalDatabase(workdir / "cluster", free_tcp_port())
    try:
        cluster.init()
        yield cluster.create_database("verify_restore")
    finally:
        cluster.destroy()
        shutil.rmtree(workdir, ignore_errors=True)
