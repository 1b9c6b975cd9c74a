"""Each function.json is read once per process: a preview asks for it from the bundle, the deploy settings and
the schedules, and an edited file is read again."""

from __future__ import annotations

import json
from pathlib import Path

from ops.engineless.program import run_program
from providers.supabase.function_bundle import _parse_manifest, read_manifest
from stackconfig.paths import PROJECT_ROOT
from tests.aws.aws_mocks import WholeProgramMocks


def test_each_function_json_is_parsed_once_per_program_run():
    manifests = sorted((PROJECT_ROOT / "functions").glob("*/function.json"))
    _parse_manifest.cache_clear()
    run_program("staging", mocks=WholeProgramMocks())
    reads = _parse_manifest.cache_info()
    assert reads.misses == len(manifests)
    assert reads.hits >= len(manifests), "the deploy settings and the bundle asked again, and were answered from memory"


def test_an_edited_function_json_is_read_again(tmp_path: Path):
    folder = tmp_path / "worker"
    folder.mkdir()
    (folder / "index.ts").write_text("Deno.serve(() => new Response('ok'));\n")
    (folder / "function.json").write_text(json.dumps({"schedule": "*/5 * * * *"}))
    assert read_manifest(tmp_path, "worker").schedule == "*/5 * * * *"
    (folder / "function.json").write_text(json.dumps({"schedule": "*/15 * * * *", "verify_jwt": False}))
    edited = read_manifest(tmp_path, "worker")
    assert (edited.schedule, edited.verify_jwt) == ("*/15 * * * *", False)
