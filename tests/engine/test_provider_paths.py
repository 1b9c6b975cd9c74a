"""The engine starts the dynamic provider host in the program's workspace, not in the checkout (the Automation
API's work dir, `make local`'s .local/pulumi/work). What a provider reads from the project must not depend on
that working directory. (Found under the real engine; checked here through the provider host alone.)"""

from __future__ import annotations

from pathlib import Path

import psycopg

import dbmigrate
from providers.migrations import MigrationsProvider
from tests.harness.provider_host import ProviderHost, Secret

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_relative_migrations_dir_is_read_from_the_project_whatever_the_hosts_working_directory(fresh_db, tmp_path):
    files = dbmigrate.load_files(PROJECT_ROOT / "sql" / "migrations")
    props = {
        "connection": Secret(fresh_db),
        "migrationsDir": "sql/migrations",  # the default of database.migrationsDir
        "migrations": [{"version": f.version, "name": f.name, "checksum": f.checksum} for f in files],
        "lockTimeoutSeconds": 30,
        "allowOutOfOrder": False,
        "acceptChangedVersions": [],
    }
    with ProviderHost(cwd=tmp_path, env={"PYTHONPATH": str(PROJECT_ROOT)}) as host:
        created = host.create(MigrationsProvider(), props)
    assert created.outs["appliedCount"] == len(files)
    with psycopg.connect(fresh_db) as conn:
        applied = [r[0] for r in conn.execute("select version from supabase_migrations.schema_migrations order by 1")]
    assert applied == [f.version for f in files]
