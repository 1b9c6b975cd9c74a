"""`ops publish-frontend` against moto's S3 and CloudFront (in server mode, over HTTP like AWS)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ops.publish.build import ASSETS_CACHE_CONTROL, HTML_CACHE_CONTROL
from tests.ops.frontend_builds import vite_build
from tests.ops.helpers import ops


@pytest.fixture
def clock(monkeypatch):
    """The publish's notion of now, moved forward by the test (S3's own timestamps stay real)."""
    state = {"now": datetime.now(UTC)}
    monkeypatch.setattr("ops.commands.publish_frontend._now", lambda: state["now"])
    return state


def publish(s3_endpoint, bucket, distribution, dist: Path, *extra: str) -> int:
    return ops(
        "publish-frontend",
        "--dist",
        dist,
        "--bucket",
        bucket,
        "--distribution-id",
        distribution,
        "--endpoint-url",
        s3_endpoint,
        *extra,
    )


def keys(s3, bucket: str) -> set[str]:
    return {
        o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []) if not o["Key"].startswith("_releases/")
    }


def invalidations(cloudfront, distribution: str) -> list[list[str]]:
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"].get("Items", [])
    batches = [cloudfront.get_invalidation(DistributionId=distribution, Id=i["Id"])["Invalidation"] for i in listed]
    return [b["InvalidationBatch"]["Paths"]["Items"] for b in sorted(batches, key=lambda b: b["CreateTime"])]


def test_first_publish_sets_content_types_and_cache_headers_and_invalidates_the_entry_points(
    s3, s3_endpoint, bucket, distribution, cloudfront, tmp_path, clock, capsys
):
    dist = vite_build(tmp_path / "dist", "index-B1a2C3d4.js", "index-Dx9y8z7w.css")
    assert publish(s3_endpoint, bucket, distribution, dist) == 0, capsys.readouterr().err
    expected = {
        "index.html": ("text/html; charset=utf-8", HTML_CACHE_CONTROL),
        "assets/index-B1a2C3d4.js": ("text/javascript; charset=utf-8", ASSETS_CACHE_CONTROL),
        "assets/index-Dx9y8z7w.css": ("text/css; charset=utf-8", ASSETS_CACHE_CONTROL),
        "vite.svg": ("image/svg+xml; charset=utf-8", HTML_CACHE_CONTROL),
    }
    for key, (content_type, cache_control) in expected.items():
        head = s3.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == (dist / "index.html").read_bytes()
    assert ASSETS_CACHE_CONTROL == "public, max-age=31536000, immutable"
    assert HTML_CACHE_CONTROL.startswith("no-cache")
    assert invalidations(cloudfront, distribution) == [["/", "/index.html", "/vite.svg"]]
    assert "4 files uploaded, 0 unchanged" in capsys.readouterr().out


def test_the_cache_headers_match_what_the_distribution_serves():
    from components import frontend

    assert frontend.ASSETS_CACHE_CONTROL == ASSETS_CACHE_CONTROL
    assert frontend.HTML_CACHE_CONTROL == HTML_CACHE_CONTROL
    assert frontend.ASSETS_PATH == "/assets/*"


def test_a_new_release_uploads_only_what_changed_keeps_the_old_assets_then_removes_them(
    s3, s3_endpoint, bucket, distribution, cloudfront, tmp_path, clock, capsys
):
    first = vite_build(tmp_path / "one", "index-AAAAaaaa.js", "index-CCCCcccc.css")
    second = vite_build(tmp_path / "two", "index-BBBBbbbb.js", "index-CCCCcccc.css", "console.log('v2')")
    third = vite_build(tmp_path / "three", "index-DDDDdddd.js", "index-CCCCcccc.css", "console.log('v3')")
    assert publish(s3_endpoint, bucket, distribution, first) == 0
    clock["now"] += timedelta(hours=1)
    capsys.readouterr()
    assert publish(s3_endpoint, bucket, distribution, second) == 0
    out = capsys.readouterr().out
    assert "2 files uploaded, 2 unchanged, 0 old files removed" in out, "the new chunk and index.html only"
    assert invalidations(cloudfront, distribution)[-1] == ["/", "/index.html"], "vite.svg did not change"
    assert "assets/index-AAAAaaaa.js" in keys(s3, bucket), "clients still on the first release need it"

    # Three days on, a third release: the first release was replaced long ago, the second just now.
    clock["now"] += timedelta(days=3)
    assert publish(s3_endpoint, bucket, distribution, third) == 0
    assert keys(s3, bucket) == {
        "index.html",
        "vite.svg",
        "assets/index-CCCCcccc.css",
        "assets/index-BBBBbbbb.js",
        "assets/index-DDDDdddd.js",
    }
    releases = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="_releases/")["Contents"]]
    assert len(releases) == 2, "the first release's record goes with its files"

    clock["now"] += timedelta(days=3)
    assert publish(s3_endpoint, bucket, distribution, third) == 0
    assert "assets/index-BBBBbbbb.js" not in keys(s3, bucket), "no kept release uses it any more"
    assert "already live: nothing uploaded, 2 old files removed" in capsys.readouterr().out


def test_publishing_the_same_build_again_uploads_and_invalidates_nothing(
    s3, s3_endpoint, bucket, distribution, cloudfront, tmp_path, clock, capsys
):
    dist = vite_build(tmp_path / "dist", "index-B1a2C3d4.js", "index-Dx9y8z7w.css")
    assert publish(s3_endpoint, bucket, distribution, dist) == 0
    capsys.readouterr()
    assert publish(s3_endpoint, bucket, distribution, dist) == 0
    assert "already live: nothing uploaded" in capsys.readouterr().out
    assert len(invalidations(cloudfront, distribution)) == 1


def test_an_asset_rewritten_under_the_same_name_is_refused_before_anything_is_uploaded(
    s3, s3_endpoint, bucket, distribution, tmp_path, clock, capsys
):
    assert publish(s3_endpoint, bucket, distribution, vite_build(tmp_path / "one", "app.js", "app.css")) == 0
    live_index = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read()
    changed = vite_build(tmp_path / "two", "app.js", "app.css", "console.log('other bytes')")
    (changed / "index.html").write_text("<!doctype html><title>new</title>")
    assert publish(s3_endpoint, bucket, distribution, changed) == 1
    err = capsys.readouterr().err
    assert "assets/app.js already in" in err and "new name" in err and "Nothing was uploaded" in err
    assert s3.get_object(Bucket=bucket, Key="index.html")["Body"].read() == live_index
    assert s3.get_object(Bucket=bucket, Key="assets/app.js")["Body"].read() == b"console.log('app')"


def test_bucket_and_distribution_come_from_the_stack_outputs(s3, s3_endpoint, bucket, distribution, tmp_path, clock):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps({"frontendBucket": bucket, "distributionId": distribution, "supabaseUrl": "https://x.supabase.co"})
    )
    dist = vite_build(tmp_path / "dist", "index-B1a2C3d4.js", "index-Dx9y8z7w.css")
    assert ops("publish-frontend", "--dist", dist, "--outputs", outputs, "--endpoint-url", s3_endpoint) == 0
    assert "index.html" in keys(s3, bucket)


@pytest.mark.parametrize("problem", ["no index", "escaping link", "no bucket"])
def test_a_build_or_command_that_cannot_be_published_is_refused(
    s3, s3_endpoint, bucket, distribution, tmp_path, problem, capsys
):
    dist = vite_build(tmp_path / "dist", "index-B1a2C3d4.js", "index-Dx9y8z7w.css")
    argv = [
        "publish-frontend",
        "--dist",
        dist,
        "--bucket",
        bucket,
        "--distribution-id",
        distribution,
        "--endpoint-url",
        s3_endpoint,
    ]
    if problem == "no index":
        (dist / "index.html").unlink()
    elif problem == "escaping link":
        (tmp_path / "secret.env").write_text("SECRET=1")
        (dist / "leak.txt").symlink_to(tmp_path / "secret.env")
    else:
        argv = argv[:3]
    code = ops(*argv)
    captured = capsys.readouterr()
    assert code == (2 if problem == "no bucket" else 1)
    assert {
        "no index": "has no index.html",
        "escaping link": "leak.txt is a link that leaves",
        "no bucket": "--bucket is required",
    }[problem] in captured.err + captured.out
    assert keys(s3, bucket) == set(), "nothing was uploaded"
