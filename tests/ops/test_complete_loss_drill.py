"""Guide 000 section 9.3, scenario 3 (complete project loss), end to end against the local stand-ins, timed.

1. The lost project: the real schema (every migration), users with conversations and messages, and
   Storage objects; its nightly backup (database and Storage) in the backup bucket (moto).
2. A new project from `pulumi up` of the staging stack, engine-less (ops/engineless: the program under
   mocks, every Supabase resource through Pulumi's real provider host) against the fake Management API:
   the project, its settings, secrets, edge functions and buckets, and the migrations, applied through the
   project's pooler (a real PostgreSQL behind a TLS relay, as the pooler URL requires TLS).
3. The newest backup restored over it from the backup bucket's second-region replica, the primary bucket gone
   with its region: the prod stack's replication rule (as the program declares it) put on the bucket through
   S3's API and applied by tests/harness/s3_replication; then `ops restore --clean --bucket <replica> --region
   <replica region>` with the Storage objects (moto stands in for the new project's Storage S3 endpoint; its
   buckets are the ones `pulumi up` created).
4. The frontend's environment from the new stack's outputs.
The figures printed here are the ones docs/runbooks.md states."""

from __future__ import annotations

import json
import time
from pathlib import Path

import psycopg

import dbmigrate
from ops.engineless.deploy import deploy
from ops.engineless.provider_host import Secret
from ops.localdb import LocalDatabase
from tests.harness.tls_pooler import TlsPooler
from tests.ops.conftest import new_database
from tests.ops.helpers import ops, table_checksums
from tests.ops.replica import REPLICA_REGION, lose_bucket, replicated_backups
from tests.schema.sessions import new_user
from tests.supabase.fake_api import FakeSupabase

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = PROJECT_ROOT / "sql" / "migrations"
OFF = {"enabled": False}


def lived_in_project(url: str, users: int = 50) -> None:
    """The lost project's data: users (profiles by trigger), their conversations and messages."""
    dbmigrate.apply(url, MIGRATIONS)
    with psycopg.connect(url, autocommit=True) as db:
        for _ in range(users):
            user = new_user(db)
            [conversation] = db.execute(
                "insert into public.conversations (user_id, title) values (%s, 'chat') returning id", (user,)
            ).fetchone()
            db.execute(
                "insert into public.messages (conversation_id, user_id, role, content) "
                "select %s, %s, 'user', 'message ' || g from generate_series(1, 20) g",
                (conversation, user),
            )


def pulumi_up_new_project(fake: FakeSupabase, state: Path) -> dict:
    """`pulumi up --stack staging` pointed at the fake Management API, AWS parts off (no engine here)."""
    overrides = {
        "supabase": {
            "organizationSlug": fake.organization,
            "projectName": "ai-super-assistant-recovered",
            "region": "eu-central-1",
            "managementApiUrl": fake.url,
            "projectUrlTemplate": fake.project_url_template,
            "readyTimeoutSeconds": 60,
        },
        "aws": OFF,
        "frontend": OFF,
        "storageCdn": OFF,
        "backup": OFF,
        "alerts": OFF,
        "ciIdentity": OFF,
        "waf": OFF,
        "budget": OFF,
        "providerSpend": OFF,
        "stripeWebhook": OFF,
        "databasePassword": Secret("Recovered-db-password-1"),
        "functionSecrets": Secret({"OPENAI_API_KEY": "sk-recovered-openai-key"}),
    }
    report = deploy("staging", state, config_overrides=overrides)
    assert report.run is not None and set(report.actions().values()) == {"create"}
    return report.run.outputs


def test_complete_project_loss_is_recovered_end_to_end(
    s3, s3_endpoint, bucket, pg_cluster: LocalDatabase, tmp_path, monkeypatch, capsys
):
    # 1. The lost project and its nightly backup.
    old_db = new_database(pg_cluster)
    lived_in_project(old_db)
    fake = FakeSupabase().start()
    monkeypatch.setenv("SUPABASE_ACCESS_TOKEN", fake.token)
    try:
        timings: dict[str, float] = {}
        new_name = "drill_recovered"
        new_db = pg_cluster.create_database(new_name)
        with TlsPooler(pg_cluster.port) as pooler:
            fake.database_endpoint = ("127.0.0.1", pooler.port, "postgres", new_name)
            # The buckets the lost project had are the ones the program declares (Pulumi.staging.yaml).
            started = time.perf_counter()
            outputs = pulumi_up_new_project(fake, tmp_path / "state.json")
            timings["new project from pulumi up (project, settings, secrets, functions, buckets, schema)"] = (
                time.perf_counter() - started
            )
        [project] = fake.projects.values()
        buckets = sorted(project.buckets)
        assert buckets and set(project.functions) == {
            p.name for p in (PROJECT_ROOT / "functions").iterdir() if p.is_dir() and not p.name.startswith("_")
        }
        assert "OPENAI_API_KEY" in project.secrets
        with psycopg.connect(new_db) as db:
            applied = [
                r[0] for r in db.execute("select version from supabase_migrations.schema_migrations order by version")
            ]
        assert applied == sorted(p.name[:14] for p in MIGRATIONS.glob("*.sql")), "pulumi up applied the schema"

        for name in buckets:  # the old project's objects, and the new project's (empty) buckets
            s3.create_bucket(Bucket=name)
            for number in range(20):
                s3.put_object(
                    Bucket=name, Key=f"user-{number}/file-{number}.bin", Body=bytes([number]) * (1024 * (number + 1))
                )
        storage = [arg for name in buckets for arg in ("--storage-bucket", name)]
        replication = replicated_backups(s3_endpoint, source=bucket)
        assert (
            ops(
                "backup",
                "--stack",
                "prod",
                "--bucket",
                bucket,
                "--endpoint-url",
                s3_endpoint,
                "--database-url",
                old_db,
                "--storage-endpoint-url",
                s3_endpoint,
                *storage,
            )
            == 0
        )
        before = table_checksums(old_db)
        objects_before = {n: {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=n)["Contents"]} for n in buckets}
        for name in buckets:  # lost with the project
            for key in objects_before[name]:
                s3.delete_object(Bucket=name, Key=key)

        # The backup's objects reach the replica; then the primary region, and its bucket, are lost.
        started = time.perf_counter()
        replicated = replication.replicator().run()
        timings[f"backup replicated to {REPLICA_REGION} ({replicated} objects)"] = time.perf_counter() - started
        lose_bucket(s3, bucket)

        # 3. The newest backup over the new project, read from the replica: database, then Storage.
        started = time.perf_counter()
        code = ops(
            "restore",
            "--stack",
            "prod",
            "--bucket",
            replication.replica,
            "--region",
            REPLICA_REGION,
            "--endpoint-url",
            s3_endpoint,
            "--target-url",
            new_db,
            "--clean",
            "--storage-endpoint-url",
            s3_endpoint,
        )
        assert code == 0, capsys.readouterr().err
        timings["newest backup restored from the replica (database and Storage, checked)"] = (
            time.perf_counter() - started
        )
        assert table_checksums(new_db) == before, "every table's rows as they were at the backup"
        for name in buckets:
            assert {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=name)["Contents"]} == objects_before[name]

        # 4. The frontend's environment, from the new stack's outputs.
        started = time.perf_counter()
        outputs_file, env_file = tmp_path / "outputs.json", tmp_path / ".env.production"
        outputs_file.write_text(json.dumps(outputs))
        assert ops("frontend-env", "--outputs", outputs_file, "--output", env_file) == 0
        assert f"VITE_SUPABASE_URL={outputs['supabaseUrl']}" in env_file.read_text()
        assert project.anon_key in env_file.read_text() and project.service_key not in env_file.read_text()
        timings["frontend environment"] = time.perf_counter() - started
    finally:
        fake.stop()
    assert not fake.violations, fake.violations

    rows = sum(count for count, _ in before.values())
    objects = sum(len(v) for v in objects_before.values())
    with capsys.disabled():
        print(f"\ncomplete-loss drill: {rows} rows in {len(before)} tables, {objects} storage objects")
        for step, seconds in timings.items():
            print(f"  {step}: {seconds:.1f} s")
        print(f"  total: {sum(timings.values()):.1f} s")
