"""The storage CDN's CloudFront Functions run on CloudFront-shaped events (the viewer-request event structure of
the CloudFront Functions guide) in Node's V8, in a context with only what cloudfront-js-2.0 offers."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from components.storage_cdn_functions import REFUSE_EXPIRED_SIGNED_URLS, REFUSE_OTHER_PATHS

RUNNER = Path(__file__).with_name("cloudfront_function_runner.mjs")
# CloudFront's limit on a function's code.
MAX_FUNCTION_BYTES = 10 * 1024


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def storage_token(exp: object, url: str = "thumbnails/user-1/doc-1.webp") -> str:
    """A signed-URL token as Supabase Storage issues it: an HS256 JWT with the object's url, iat and exp."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"url": url, "iat": int(time.time()) - 60, "exp": exp}).encode())
    return f"{header}.{payload}.{b64url(b'signature-not-checked-at-the-edge')}"


def viewer_request(uri: str, querystring: dict) -> dict:
    return {
        "version": "1.0",
        "context": {"eventType": "viewer-request", "distributionId": "E123"},
        "viewer": {"ip": "198.51.100.7"},
        "request": {"method": "GET", "uri": uri, "querystring": querystring, "headers": {}, "cookies": {}},
    }


def run_function(code: str, events: list[dict]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: it runs the CloudFront Functions' code in tests (run `make install`)")
    result = subprocess.run(
        [node, str(RUNNER)],
        input=json.dumps({"code": code, "events": events}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


THUMBNAIL = "/storage/v1/object/sign/thumbnails/user-1/doc-1.webp"


def test_an_unexpired_signed_url_goes_on_to_the_cache_unchanged():
    now = int(time.time())
    # A payload whose base64url uses - and _ (the claims were padded until it did), and one without.
    tricky = next(
        storage_token(now + 3600, f"thumbnails/{'?' * n}.webp")
        for n in range(64)
        if set("-_") & set(storage_token(now + 3600, f"thumbnails/{'?' * n}.webp").split(".")[1])
    )
    events = [
        viewer_request(THUMBNAIL, {"token": {"value": storage_token(now + 3600)}, "width": {"value": "200"}}),
        viewer_request(THUMBNAIL, {"token": {"value": tricky}}),
    ]
    for event, result in zip(events, run_function(REFUSE_EXPIRED_SIGNED_URLS, events), strict=True):
        assert result == event["request"], "a valid signed URL must reach the cache and origin as it came"


@pytest.mark.parametrize(
    ("querystring", "reason"),
    [
        ({"token": {"value": storage_token(int(time.time()) - 1)}}, "expired"),
        ({}, "one token"),
        (
            {
                "token": {
                    "value": storage_token(int(time.time()) + 3600),
                    "multiValue": [{"value": storage_token(int(time.time()) + 3600)}, {"value": "x.y.z"}],
                }
            },
            "one token",
        ),
        ({"token": {"value": "not-a-jwt"}}, "not a JWT"),
        ({"token": {"value": "a.!!!.c"}}, "not a JWT"),
        ({"token": {"value": storage_token("9999999999")}}, "not a JWT"),
        ({"token": {"value": storage_token(None)}}, "not a JWT"),
    ],
    ids=["expired", "missing", "repeated", "not a JWT", "bad base64", "string exp", "no exp"],
)
def test_an_expired_missing_or_ambiguous_token_is_refused_before_the_cache(querystring, reason):
    [result] = run_function(REFUSE_EXPIRED_SIGNED_URLS, [viewer_request(THUMBNAIL, querystring)])
    assert result["statusCode"] == 403
    assert reason in result["headers"]["x-refused-because"]["value"]


def test_other_paths_are_answered_404_without_reaching_the_origin():
    [result] = run_function(REFUSE_OTHER_PATHS, [viewer_request("/rest/v1/profiles", {})])
    assert result == {"statusCode": 404, "statusDescription": "Not Found"}


@pytest.mark.parametrize("code", [REFUSE_EXPIRED_SIGNED_URLS, REFUSE_OTHER_PATHS])
def test_functions_fit_cloudfronts_size_limit(code):
    assert len(code.encode()) <= MAX_FUNCTION_BYTES
