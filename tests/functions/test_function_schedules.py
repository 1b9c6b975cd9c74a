"""The scheduled functions declare their schedule in function.json ("schedule": a cron expression), which the
settings reader accepts and checks; the program side runs them on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from providers.supabase.errors import SupabaseError
from providers.supabase.function_bundle import read_manifest


@pytest.mark.parametrize(("name", "expected"), [("reminder-engine", "*/5 * * * *"), ("analytics-engine", "17 * * * *")])
def test_scheduled_functions_declare_their_cron_expression(name: str, expected: str):
    assert read_manifest("functions", name).schedule == expected, f"functions/{name}/function.json"


def test_user_functions_have_no_schedule():
    assert read_manifest("functions", "family-vault").schedule is None


@pytest.mark.parametrize("schedule", ["every five minutes", "* * *", 5, ""])
def test_a_schedule_that_is_not_a_cron_expression_is_refused(tmp_path: Path, schedule: object):
    folder = tmp_path / "job"
    folder.mkdir()
    (folder / "index.ts").write_text("Deno.serve(() => new Response());\n")
    (folder / "function.json").write_text(json.dumps({"entrypoint": "index.ts", "schedule": schedule}))
    with pytest.raises(SupabaseError, match="write a cron expression"):
        read_manifest(tmp_path, "job")
