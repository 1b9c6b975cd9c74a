"""One call to each Google Cloud API the edge functions use, with the keys they are given, and what is missing.

Vision (document-processor's OCR): POST {base}/v1/images:annotate?key=... with a 1x1 image and TEXT_DETECTION.
Translation (translation-service, basic edition v2): POST {base}/language/translate/v2?key=... with one word.
Google answers a refused call with {"error": {"code", "message", "status", "details": [{"reason": ...}]}}
(https://cloud.google.com/apis/design/errors); the ErrorInfo reason says which setup step is missing.
Keys never appear in what this prints."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

# A 1x1 transparent PNG: the smallest image Vision accepts, billed as one unit (the first 1000 a month are free).
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@dataclass(frozen=True)
class GoogleApi:
    name: str  # as the Cloud Console lists it
    service: str  # for `gcloud services enable`
    secret: str  # the function secret holding its key
    base_variable: str  # the functions' override of the base URL


VISION = GoogleApi("Cloud Vision API", "vision.googleapis.com", "GOOGLE_VISION_API_KEY", "GOOGLE_VISION_BASE_URL")
TRANSLATION = GoogleApi(
    "Cloud Translation API", "translate.googleapis.com", "GOOGLE_TRANSLATE_API_KEY", "GOOGLE_TRANSLATE_BASE_URL"
)


@dataclass(frozen=True)
class CheckResult:
    api: GoogleApi
    ok: bool
    detail: str


def _fix_for(api: GoogleApi, reason: str, status: str, message: str) -> str:
    fixes = {
        "SERVICE_DISABLED": f"the {api.name} is not enabled in the key's project: `gcloud services enable "
        f"{api.service}` (or APIs & Services > Library)",
        "API_KEY_INVALID": f"the key is not valid (deleted, or mistyped): create one and set it with `pulumi config set "
        f"--secret --path 'functionSecrets.{api.secret}' <key>`",
        "API_KEY_SERVICE_BLOCKED": f"the key's API restrictions do not include the {api.name}: add it under "
        "Credentials > the key > API restrictions",
        "API_KEY_HTTP_REFERRER_BLOCKED": "the key is restricted to HTTP referrers, which server calls never send: use "
        "API restrictions instead (docs/google-cloud.md)",
        "API_KEY_IP_ADDRESS_BLOCKED": "the key is restricted to IP addresses and this one is not among them; Supabase's "
        "edge functions have no fixed addresses, so use API restrictions instead",
        "BILLING_DISABLED": "billing is not enabled on the key's project: link a billing account",
    }
    return fixes.get(reason) or f"Google refused the call ({status or 'error'}: {message[:200]})"


def _call(url: str, body: dict[str, Any], timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def _refusal(api: GoogleApi, status: int, answer: Any) -> str:
    error = answer.get("error", {}) if isinstance(answer, dict) else {}
    reasons = [d.get("reason", "") for d in error.get("details", []) if isinstance(d, dict)]
    reason = next((r for r in reasons if r), "")
    return f"HTTP {status}: " + _fix_for(api, reason, str(error.get("status", "")), str(error.get("message", "")))


def check_api(
    api: GoogleApi, key: str | None, base_url: str, project: str | None = None, timeout: float = 20.0
) -> CheckResult:
    if not key:
        return CheckResult(
            api,
            False,
            f"{api.secret} is not set: create a key restricted to the {api.name}, set it "
            f"with `pulumi config set --secret --path 'functionSecrets.{api.secret}' <key>` "
            f"and export it as {api.secret} for this check",
        )
    base = base_url.rstrip("/")
    if api is VISION:
        url = f"{base}/v1/images:annotate?key={key}"
        body: dict[str, Any] = {
            "requests": [
                {
                    "image": {"content": base64.b64encode(TINY_PNG).decode()},
                    "features": [{"type": "TEXT_DETECTION", "maxResults": 1}],
                }
            ]
        }
        if project:
            body["parent"] = f"projects/{project}"
    else:
        url = f"{base}/language/translate/v2?key={key}"
        body = {"q": ["hello"], "target": "es", "format": "text"}
    try:
        status, answer = _call(url, body, timeout)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return CheckResult(
            api,
            False,
            f"{base} could not be reached ({type(reason).__name__}); check the network or {api.base_variable}",
        )
    if status != 200:
        return CheckResult(api, False, _refusal(api, status, answer))
    if api is VISION:
        responses = answer.get("responses") if isinstance(answer, dict) else None
        inner = responses[0].get("error") if isinstance(responses, list) and responses else None
        if not isinstance(responses, list) or not responses:
            return CheckResult(api, False, "the answer has no `responses`: is the base URL Google's?")
        if isinstance(inner, dict):
            return CheckResult(api, False, f"the image was refused: {str(inner.get('message', ''))[:200]}")
        return CheckResult(api, True, "images:annotate answered (OCR works with this key)")
    translations = answer.get("data", {}).get("translations") if isinstance(answer, dict) else None
    if not isinstance(translations, list) or not translations or "translatedText" not in translations[0]:
        return CheckResult(api, False, "the answer has no data.translations: is the base URL Google's?")
    return CheckResult(api, True, f"translate/v2 answered ('hello' -> '{str(translations[0]['translatedText'])[:40]}')")
