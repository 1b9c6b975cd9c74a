"""Progress lines: redrawn on a terminal, plain and sparse in a log, with rate and time left when the total is known."""

from __future__ import annotations

import io

from ops.progress import Progress, human_bytes, human_duration
from tests.ops.helpers import ops
from tests.ops.test_backup_restore import backup


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_plain_line_every_interval_and_one_at_the_end():
    out, clock = io.StringIO(), Clock()
    progress = Progress("download x", total=100 * 1024 * 1024, stream=out, terminal=False, clock=clock, plain_every=30)
    for _ in range(10):  # 10 MiB a second for 10 seconds: no line yet
        clock.now += 1
        progress.advance(10 * 1024 * 1024)
    assert out.getvalue() == ""
    clock.now += 30
    progress.advance(0)
    progress.finish()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "download x: 100.0 MiB of 100.0 MiB (100%), 2.5 MiB/s, 0s left"
    assert lines[1] == "download x: 100.0 MiB of 100.0 MiB (100%), 2.5 MiB/s, done in 40s"


def test_a_terminal_gets_one_redrawn_line_with_the_time_left():
    out, clock = io.StringIO(), Clock()
    progress = Progress("restore", total=1000, stream=out, terminal=True, clock=clock)
    clock.now += 1
    progress.advance(250)  # 250 B/s, 750 B to go
    assert out.getvalue() == "\r\x1b[Krestore: 250 B of 1000 B (25%), 250 B/s, 3s left"
    progress.finish()
    assert out.getvalue().endswith("\r\x1b[Krestore: 250 B of 1000 B (25%), 250 B/s, done in 1s\n")


def test_without_a_total_it_shows_bytes_and_rate_only():
    out, clock = io.StringIO(), Clock()
    progress = Progress("dump", stream=out, terminal=False, clock=clock, plain_every=1)
    clock.now += 2
    progress.advance(3 * 1024 * 1024)
    assert out.getvalue() == "dump: 3.0 MiB, 1.5 MiB/s\n"


def test_units():
    assert [human_bytes(n) for n in (0, 1023, 1024, 5 * 1024**3)] == ["0 B", "1023 B", "1.0 KiB", "5.0 GiB"]
    assert [human_duration(s) for s in (0.4, 59, 61, 3600 * 2 + 65)] == ["0s", "59s", "1m01s", "2h01m"]


def test_backup_and_restore_report_their_progress_in_plain_lines(s3_endpoint, bucket, source_db, empty_db, capsys):
    assert backup(s3_endpoint, bucket, source_db) == 0
    assert "dump to s3://" in capsys.readouterr().err
    assert (
        ops(
            "restore", "--stack", "staging", "--bucket", bucket, "--endpoint-url", s3_endpoint, "--target-url", empty_db
        )
        == 0
    )
    err = capsys.readouterr().err
    [line] = [line for line in err.splitlines() if line.startswith("download backups/staging/")]
    assert "(100%)" in line and "/s, done in" in line and "\r" not in err
