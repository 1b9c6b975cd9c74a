"""`ops google-cloud-check` against a local stand-in of Google's Vision and Translation endpoints: one call each
with the configured key, and for each setup step left undone, the message that names it."""

from __future__ import annotations

import pytest

from tests.harness.google_cloud import TRANSLATION, VISION, ApiKey, GoogleCloud
from tests.harness.loopback_server import serve_on_loopback
from tests.ops.helpers import ops

VISION_KEY, TRANSLATE_KEY = "AIzaVision0key0for0tests", "AIzaTranslate0key0for0tests"


@pytest.fixture
def google(monkeypatch):
    cloud = GoogleCloud(
        keys={VISION_KEY: ApiKey(restricted_to={VISION}), TRANSLATE_KEY: ApiKey(restricted_to={TRANSLATION})}
    )
    monkeypatch.setenv("GOOGLE_VISION_API_KEY", VISION_KEY)
    monkeypatch.setenv("GOOGLE_TRANSLATE_API_KEY", TRANSLATE_KEY)
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT_ID", raising=False)
    with serve_on_loopback(cloud.handler()) as url:
        yield cloud, ("--vision-url", url, "--translate-url", url)
    assert not cloud.violations, cloud.violations


def test_both_apis_answer_with_keys_set_up_as_documented(google, capsys):
    cloud, urls = google
    assert ops("google-cloud-check", *urls, "--project", "my-project") == 0
    out = capsys.readouterr().out
    assert "ok   Cloud Vision API" in out and "ok   Cloud Translation API" in out
    assert cloud.calls == [(VISION, VISION_KEY), (TRANSLATION, TRANSLATE_KEY)], "each API once, with its own key"
    assert VISION_KEY not in out and TRANSLATE_KEY not in out


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda k: k[VISION_KEY].enabled.discard(VISION), "`gcloud services enable vision.googleapis.com`"),
        (
            lambda k: setattr(k[VISION_KEY], "restricted_to", {TRANSLATION}),
            "API restrictions do not include the Cloud Vision API",
        ),
        (lambda k: setattr(k[VISION_KEY], "referrers", ["https://app.example.com/"]), "server calls never send"),
        (lambda k: setattr(k[VISION_KEY], "billing", False), "link a billing account"),
        (lambda k: k.pop(VISION_KEY), "the key is not valid"),
    ],
)
def test_each_missing_step_is_named(google, capsys, setup, expected):
    cloud, urls = google
    setup(cloud.keys)
    assert ops("google-cloud-check", *urls) == 1
    out = capsys.readouterr().out
    assert "FAIL Cloud Vision API" in out and expected in out
    assert "ok   Cloud Translation API" in out, "the other API is still checked"
    assert VISION_KEY not in out


def test_a_key_that_is_not_set_is_named_with_the_command_that_sets_it(google, capsys, monkeypatch):
    cloud, urls = google
    monkeypatch.delenv("GOOGLE_TRANSLATE_API_KEY")
    assert ops("google-cloud-check", *urls) == 1
    out = capsys.readouterr().out
    assert "GOOGLE_TRANSLATE_API_KEY is not set" in out
    assert "pulumi config set --secret --path 'functionSecrets.GOOGLE_TRANSLATE_API_KEY'" in out
    assert [service for service, _ in cloud.calls] == [VISION], "no call without a key"


def test_an_unreachable_endpoint_is_named(google, capsys):
    assert ops("google-cloud-check", "--vision-url", "http://127.0.0.1:1", "--skip", "translation") == 1
    assert "could not be reached" in capsys.readouterr().out
