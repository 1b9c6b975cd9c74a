"""Fixtures for the operator commands: a real S3 endpoint (moto in server mode) and databases with data."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ops.localdb import LocalDatabase, free_tcp_port

_names = itertools.count(1)
SCHEMA_SQL = (Path(__file__).parent / "sample_schema.sql").read_text()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_tcp_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never the operator's real credentials, even by accident.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PULUMI_STACK", "BACKUP_BUCKET", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def s3(s3_endpoint: str):
    return boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def bucket(s3) -> str:
    name = f"backups-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name


def new_database(cluster: LocalDatabase) -> str:
    return cluster.create_database(f"ops_{next(_names)}")


def load_sample(cluster: LocalDatabase, url: str, rows: int = 500) -> None:
    """The sample schema (as postgres, like a migration) and `rows` rows in its main table."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        db.execute(SCHEMA_SQL)
        db.execute("select ops_test_fill(%s)", [rows])


@pytest.fixture
def source_db(pg_cluster: LocalDatabase) -> str:
    url = new_database(pg_cluster)
    load_sample(pg_cluster, url)
    return url


@pytest.fixture
def empty_db(pg_cluster: LocalDatabase) -> str:
    return new_database(pg_cluster)


@pytest.fixture(scope="session")
def free_port() -> int:
    return free_tcp_port()


@pytest.fixture
def cloudfront(s3_endpoint):
    return boto3.client("cloudfront", endpoint_url=s3_endpoint, region_name="us-east-1")


@pytest.fixture
def distribution(cloudfront, bucket) -> str:
    config = {
        "CallerReference": bucket,
        "Comment": "frontend",
        "Enabled": True,
        "DefaultRootObject": "index.html",
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "frontend-bucket",
                    "DomainName": f"{bucket}.s3.amazonaws.com",
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "frontend-bucket",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        },
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


@pytest.fixture(scope="module")
def migrated_url(pg_cluster: LocalDatabase) -> Iterator[str]:
    """A database with every migration, for the scraper's workload figures (the platform's own tables)."""
    import dbmigrate

    name = f"ops_migrated_{next(_names)}"
    url = pg_cluster.create_database(name)
    dbmigrate.apply(url, Path(__file__).resolve().parents[2] / "sql" / "migrations")
    try:
        yield url
    finally:
        pg_cluster.drop_database(name)
