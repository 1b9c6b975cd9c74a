"""`ops check-site` (guide 000 section 6.5) against a published build served like the distribution serves it."""

from __future__ import annotations

import json

import pytest

from tests.ops.cdn_standin import HEALTH_PATH, serve_bucket
from tests.ops.frontend_builds import vite_build
from tests.ops.helpers import ops


@pytest.fixture
def site(s3, s3_endpoint, bucket, distribution, tmp_path):
    dist = vite_build(tmp_path / "dist", "index-B1a2C3d4.js", "index-Dx9y8z7w.css")
    assert (
        ops(
            "publish-frontend",
            "--dist",
            dist,
            "--bucket",
            bucket,
            "--distribution-id",
            distribution,
            "--endpoint-url",
            s3_endpoint,
        )
        == 0
    )
    with serve_bucket(s3, bucket) as served:
        yield served


def check(site, *extra: str) -> int:
    return ops(
        "check-site",
        "--frontend-url",
        site.url,
        "--health-url",
        site.url + HEALTH_PATH,
        "--attempts",
        "2",
        "--wait-seconds",
        "0",
        *extra,
    )


def test_a_published_build_passes_every_check(site, capsys):
    assert check(site) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    for name in (
        "home page",
        "asset /assets/index-B1a2C3d4.js",
        "asset /assets/index-Dx9y8z7w.css",
        "route /ai-chat",
        "route /pricing",
        "health-check function",
    ):
        assert f"ok   {name}" in out


def test_urls_come_from_the_stack_outputs(site, tmp_path, capsys):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"frontendUrl": site.url, "functionsUrl": site.url + "/functions/v1"}))
    assert ops("check-site", "--outputs", outputs, "--attempts", "1") == 0
    assert "ok   health-check function: 200, healthy" in capsys.readouterr().out


def test_routes_fail_without_the_spa_fallback(site, capsys):
    site.fallback = False
    assert check(site) == 1
    captured = capsys.readouterr()
    assert "FAIL route /ai-chat: answered HTTP 403" in captured.out
    assert "2 of 6 post-deployment checks failed: route /ai-chat, route /pricing" in captured.err


def test_a_missing_asset_fails(site, s3, bucket, capsys):
    s3.delete_object(Bucket=bucket, Key="assets/index-B1a2C3d4.js")
    assert check(site) == 1
    assert "FAIL asset /assets/index-B1a2C3d4.js" in capsys.readouterr().out


def test_a_failing_health_check_fails_and_a_degraded_one_is_reported(site, capsys):
    site.health.update(code=503, status="degraded")
    assert check(site) == 1
    assert "FAIL health-check function: answered HTTP 503" in capsys.readouterr().out
    site.health.update(code=200, status="degraded")
    assert check(site) == 0
    assert "ok   health-check function: 200, degraded" in capsys.readouterr().out


def test_an_unreachable_site_fails_after_its_retries(capsys):
    assert ops("check-site", "--frontend-url", "http://127.0.0.1:9", "--attempts", "2", "--wait-seconds", "0") == 1
    assert "FAIL home page: no answer" in capsys.readouterr().out
