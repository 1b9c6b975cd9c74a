"""`ops report` after a known workload on a migrated database (as on the local stack): a self-contained page
whose plots and tables show that workload: the slow statement first, each function's p50/p95 and error share per
day, spend per day and unit from the spend ledger, Storage growth, the backup history from the bucket's manifests."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import psycopg
import pytest

from ops.localdb import LocalDatabase
from ops.report.data import read_report_data
from ops.sql_query import connection_query
from tests.conftest import dbname_of
from tests.ops.helpers import ops

USER = "00000000-0000-4000-8000-0000000000b1"
PNG = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[bytes] = []
        self.external: list[str] = []
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                if value.startswith("data:image/png;base64,"):
                    self.images.append(base64.b64decode(value.split(",", 1)[1]))
                else:
                    self.external.append(value)

    def handle_data(self, data: str) -> None:
        self.cells.append(data)


@pytest.fixture
def workload(pg_cluster: LocalDatabase, migrated_url: str) -> str:
    """Three days of two functions' measurements, two days of spend, uploads, and one slow statement."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    rows = []
    for back in range(3):
        day = today - timedelta(days=back)
        rows += [("ai-chat", 100 * (back + 1) + i, i != 0 or back != 0, day) for i in range(20)]
        rows += [("search-engine", 30, True, day)] * 5
    pg_cluster.psql(
        "set session_replication_role = replica; "
        "delete from public.performance_metrics; delete from public.usage_metrics; delete from private.spend_ledger; "
        "delete from storage.objects",
        dbname=dbname_of(migrated_url),
    )
    with psycopg.connect(pg_cluster.superuser_url_for(dbname_of(migrated_url)), autocommit=True) as db:
        db.execute("set session_replication_role = replica")
        with db.cursor() as cursor:
            cursor.executemany(
                "insert into public.performance_metrics (function_name, execution_time_ms, success, "
                '"timestamp") values (%s, %s, %s, %s)',
                rows,
            )
            # The ledger as reserve_spend/settle_spend leave it: $20 per million characters, $1.50 per 1,000 pages.
            cursor.executemany(
                "insert into private.spend_ledger (user_id, unit, day, quantity, source, created_at) "
                "values (%s, %s, %s, %s, 'test', %s)",
                [
                    (USER, "translation_characters", today.date(), 25_000, today),
                    (USER, "translation_characters", today.date(), 12_500, today),
                    (USER, "ocr_pages", (today - timedelta(days=1)).date(), 1000, today - timedelta(days=1)),
                ],
            )
            # What a user's actions write: not spend, whatever it says.
            cursor.execute(
                "insert into public.usage_metrics (user_id, action, metric_type, cost_usd, created_at) "
                "values (%s, 'ai-chat-message', 'ai_tokens', 99, %s)",
                (USER, today),
            )
            cursor.executemany(
                "insert into storage.objects (name, metadata, created_at) values (%s, %s, %s)",
                [("a", '{"size": 1048576}', today - timedelta(days=2)), ("b", '{"size": 3145728}', today)],
            )
        db.execute(
            "select extensions.pg_stat_statements_reset(0, (select oid from pg_database "
            "where datname = current_database()), 0)"
        )
    with psycopg.connect(migrated_url, autocommit=True) as db:
        db.execute("select pg_sleep(1.05)")
    return migrated_url


def test_the_data_behind_the_plots_is_the_workload(workload):
    data = read_report_data(connection_query(workload), days=7)
    chat = {d.day: d for d in data.function_days if d.function == "ai-chat"}
    today = datetime.now(UTC).date()
    assert len(chat) == 3 and chat[today].calls == 20
    assert chat[today].error_percent == 5.0, "one failed call of twenty today"
    assert chat[today - timedelta(days=2)].p50_ms == pytest.approx(300 + 9.5)
    assert chat[today - timedelta(days=2)].p95_ms == pytest.approx(300 + 19 * 0.95)
    assert dict(data.spend_days) == {today: 0.75, today - timedelta(days=1): 1.5}, "the ledger, not usage_metrics"
    assert {(s.day, s.unit, s.quantity) for s in data.spend_units} == {
        (today, "translation_characters", 37_500),
        (today - timedelta(days=1), "ocr_pages", 1000),
    }
    storage = dict(data.storage_days)
    assert storage[today - timedelta(days=2)] == 1048576 and storage[today] == 4194304
    assert data.figures.by_time[0].query.startswith("select pg_sleep"), "the slowest statement comes first"
    assert data.backups is None


def test_ops_report_writes_one_self_contained_page_with_its_plots(workload, s3, bucket, tmp_path, capsys):
    for stamp, size in (("20261201T020000Z", 5 * 1048576), ("20261202T020000Z", 6 * 1048576)):
        s3.put_object(Bucket=bucket, Key=f"backups/local/{stamp}/manifest.json", Body=f'{{"size_bytes": {size}}}')
    s3.put_object(Bucket=bucket, Key="backups/local/20261203T020000Z/database.dump", Body=b"no manifest")
    output = tmp_path / "review.html"
    endpoint = s3.meta.endpoint_url
    assert (
        ops(
            "report",
            "--database-url",
            workload,
            "--output",
            output,
            "--backup-bucket",
            bucket,
            "--stack",
            "local",
            "--endpoint-url",
            endpoint,
            "--region",
            "us-east-1",
        )
        == 0
    ), capsys.readouterr().err
    assert f"wrote {output}" in capsys.readouterr().out
    page = Page()
    page.feed(output.read_text())
    assert page.external == [], "nothing is fetched when the page opens"
    assert len(page.images) == 5, "statements, functions, spend, storage, backups"
    assert all(image.startswith(PNG) and len(image) > 5000 for image in page.images)
    text = " ".join(page.cells)
    assert "ai-chat" in text and "search-engine" in text and "0.7500" in text and "1.5000" in text
    assert "20261202T020000Z" in text and "20261203T020000Z" not in text, "only backups with a manifest"


def test_statement_text_is_escaped_and_bad_arguments_are_refused(migrated_url, tmp_path, capsys):
    with psycopg.connect(migrated_url, autocommit=True) as db:
        db.execute("select '<script>alert(1)</script>' as x, pg_sleep(0.01)")
    output = tmp_path / "review.html"
    assert ops("report", "--database-url", migrated_url, "--output", output) == 0
    assert "<script>" not in output.read_text()
    assert ops("report", "--database-url", migrated_url, "--days", "0") == 2
    assert ops("report", "--database-url", "postgresql://nobody:pw@127.0.0.1:1/x", "--output", output) == 1
    assert ":pw@" not in capsys.readouterr().err


def test_the_default_page_lands_under_dot_local(migrated_url, monkeypatch, tmp_path):
    monkeypatch.setattr("ops.commands.report.LOCAL_DIR", tmp_path)
    assert ops("report", "--database-url", migrated_url) == 0
    [written] = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"weekly-review-\d{4}-\d{2}-\d{2}\.html", written.name)
