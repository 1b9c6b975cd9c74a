"""A stand-in for the two Google Cloud endpoints the functions call, from Google's published contracts:
Vision's images:annotate (https://cloud.google.com/vision/docs/reference/rest/v1/images/annotate) and
Translation v2's translate (https://cloud.google.com/translate/docs/reference/rest/v2/translate), with API keys
as Google checks them and refusals in Google's error model (google.rpc.Status with an ErrorInfo reason)."""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

VISION, TRANSLATION = "vision.googleapis.com", "translate.googleapis.com"
PATHS = {"/v1/images:annotate": VISION, "/language/translate/v2": TRANSLATION}


@dataclass
class ApiKey:
    enabled: set[str] = field(default_factory=lambda: {VISION, TRANSLATION})  # services enabled in its project
    restricted_to: set[str] | None = None  # API restrictions; None: unrestricted
    referrers: list[str] | None = None  # HTTP referrer restriction
    billing: bool = True


@dataclass
class GoogleCloud:
    keys: dict[str, ApiKey] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (service, key)
    violations: list[str] = field(default_factory=list)  # requests outside the published contract

    def handler(self) -> type[BaseHTTPRequestHandler]:
        cloud = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                service = PATHS.get(parts.path)
                if service is None:
                    return self._error(404, "NOT_FOUND", "", "not found")
                key = urllib.parse.parse_qs(parts.query).get("key", [""])[0]
                try:
                    body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                except ValueError:
                    return self._error(400, "INVALID_ARGUMENT", "", "Invalid JSON payload received.")
                cloud.calls.append((service, key))
                problem = cloud._contract_problem(service, body)
                if problem:
                    cloud.violations.append(problem)
                    return self._error(400, "INVALID_ARGUMENT", "", problem)
                refused = cloud._refusal(service, key, self.headers.get("Referer"))
                if refused:
                    return self._error(*refused)
                if service == VISION:
                    return self._answer({"responses": [{} for _ in body["requests"]]})
                texts = body["q"] if isinstance(body["q"], list) else [body["q"]]
                return self._answer(
                    {
                        "data": {
                            "translations": [
                                {"translatedText": f"[{body['target']}] {text}", "detectedSourceLanguage": "en"}
                                for text in texts
                            ]
                        }
                    }
                )

            def _answer(self, payload: object, status: int = 200) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, code: int, status: str, reason: str, message: str) -> None:
                details = (
                    [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": reason,
                            "domain": "googleapis.com",
                        }
                    ]
                    if reason
                    else []
                )
                self._answer({"error": {"code": code, "message": message, "status": status, "details": details}}, code)

        return Handler

    def _contract_problem(self, service: str, body: object) -> str | None:
        if not isinstance(body, dict):
            return "the body is not a JSON object"
        if service == VISION:
            requests = body.get("requests")
            if not isinstance(requests, list) or not requests:
                return "images:annotate needs a non-empty `requests` list"
            for request in requests:
                try:
                    base64.b64decode(request["image"]["content"], validate=True)
                except (KeyError, TypeError, binascii.Error):
                    return "each request needs image.content, base64"
                if not request.get("features") or not all(f.get("type") for f in request["features"]):
                    return "each request needs features with a type"
            parent = body.get("parent")
            if parent is not None and not str(parent).startswith("projects/"):
                return "parent must be projects/{project}"
            return None
        if "q" not in body or "target" not in body:
            return "translate needs q and target"
        return None

    def _refusal(self, service: str, key: str, referer: str | None) -> tuple[int, str, str, str] | None:
        found = self.keys.get(key)
        if found is None:
            return 400, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid. Please pass a valid API key."
        if found.referrers is not None and (referer is None or not any(referer.startswith(r) for r in found.referrers)):
            return (
                403,
                "PERMISSION_DENIED",
                "API_KEY_HTTP_REFERRER_BLOCKED",
                "Requests from referer <empty> are blocked.",
            )
        if found.restricted_to is not None and service not in found.restricted_to:
            return 403, "PERMISSION_DENIED", "API_KEY_SERVICE_BLOCKED", f"Requests to this API {service} are blocked."
        if service not in found.enabled:
            return (
                403,
                "PERMISSION_DENIED",
                "SERVICE_DISABLED",
                f"{service} has not been used in project 1 before or it is disabled.",
            )
        if not found.billing:
            return 403, "PERMISSION_DENIED", "BILLING_DISABLED", "This API method requires billing to be enabled."
        return None
