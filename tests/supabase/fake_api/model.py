"""The stand-in's state and plumbing shared by its resource modules: projects and functions as it keeps them,
faults, recorded calls, the error a handler raises, and small request helpers."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.supabase import spec
from tests.supabase.fake_logs import LogTables

HOST_URL = "https://api.supabase.com"  # what the spec's paths are matched against
RATE_LIMIT = 120
# The Auth config's secret fields, which GET answers as HMACs (the CLI compares them so: its secret keys).
SECRET_AUTH_FIELD = re.compile(r"(_secret|_secrets|^smtp_pass|_auth_token|_access_key|^sms_textlocal_api_key)$")
STORAGE_BUCKET_FIELDS = {"id", "name", "public", "file_size_limit", "allowed_mime_types"}


def _new_ref() -> str:
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(20))


def _now() -> str:
    # Milliseconds, as Supabase's timestamps have: the branch cap's race is decided by which create came first.
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _default_auth_config() -> dict[str, Any]:
    """Every field of AuthConfigResponse (all are required): null where nullable, else a typed default."""
    config: dict[str, Any] = {}
    for name, prop in spec.schema("AuthConfigResponse")["properties"].items():
        if prop.get("enum"):
            config[name] = prop["enum"][0]  # openapi-core does not accept null for a nullable enum
        elif prop.get("nullable"):
            config[name] = None
        else:
            config[name] = {"integer": 6, "boolean": False, "number": 0, "string": ""}[prop.get("type", "string")]
    config.update(site_url="http://localhost:3000", jwt_exp=3600, external_email_enabled=True, mailer_autoconfirm=False)
    return config


def _service_default(name: str) -> dict[str, Any]:
    from tests.supabase.fake_api import service_settings  # imports this module

    return getattr(service_settings, name)()


@dataclass
class Function:
    slug: str
    verify_jwt: bool
    entrypoint_path: str
    files: dict[str, bytes]
    version: int = 1
    created_at: int = field(default_factory=lambda: int(time.time() * 1000))
    metadata: dict[str, Any] = field(default_factory=dict)  # the deploy's metadata, as sent

    def response(self) -> dict[str, Any]:
        return {
            "id": hashlib.md5(self.slug.encode()).hexdigest(),
            "slug": self.slug,
            "name": self.slug,
            "status": "ACTIVE",
            "version": self.version,
            "created_at": self.created_at,
            "updated_at": int(time.time() * 1000),
            "verify_jwt": self.verify_jwt,
            "import_map": False,
            "entrypoint_path": self.entrypoint_path,
            "ezbr_sha256": hashlib.sha256(b"".join(self.files.values())).hexdigest(),
        }


@dataclass
class Project:
    ref: str
    name: str
    organization_slug: str
    region: str
    db_pass: str
    status: str = "COMING_UP"
    polls_until_active: int = 2
    health_polls_until_healthy: int = 1
    delete_refusals: int = 0
    created_at: str = field(default_factory=_now)
    instance_size: str = "micro"
    anon_key: str = field(default_factory=lambda: "eyJhbGciOiJIUzI1NiJ9.anon." + secrets.token_urlsafe(24))
    service_key: str = field(default_factory=lambda: "eyJhbGciOiJIUzI1NiJ9.service." + secrets.token_urlsafe(24))
    auth_config: dict[str, Any] = field(default_factory=_default_auth_config)
    postgres_config: dict[str, Any] = field(default_factory=lambda: {"max_connections": 60})
    ssl_enforced: bool = False
    allowed_cidrs: list[str] = field(default_factory=lambda: ["0.0.0.0/0"])
    allowed_cidrs_v6: list[str] = field(default_factory=lambda: ["::/0"])
    # The Data API, Storage service and pooler settings (tests/supabase/fake_api/service_settings.py).
    postgrest: dict[str, Any] = field(default_factory=lambda: _service_default("default_postgrest"))
    storage_config: dict[str, Any] = field(default_factory=lambda: _service_default("default_storage_config"))
    pooler: dict[str, Any] = field(default_factory=lambda: _service_default("default_pooler"))
    secrets: dict[str, str] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    objects: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    custom_hostname: str = ""
    hostname_status: str = "1_not_started"
    reverifies_until_verified: int = 1
    pitr_variant: str = ""  # pitr_7 | pitr_14 | pitr_28 when the add-on is on
    pitr_restores: list[int] = field(default_factory=list)  # recovery_time_target_unix of each restore asked
    logs: LogTables = field(default_factory=LogTables)  # what logs.all counts (tests/supabase/fake_logs.py)
    database_url: str | None = None  # where the read-only SQL endpoint runs its queries (tests/supabase/fake_sql.py)
    third_party_auth: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> integration

    def response(self, with_database: bool = True) -> dict[str, Any]:
        body = {
            "id": self.ref,
            "ref": self.ref,
            "organization_id": self.organization_slug,
            "organization_slug": self.organization_slug,
            "name": self.name,
            "region": self.region,
            "created_at": self.created_at,
            "status": self.status,
        }
        if with_database:
            body["database"] = {
                "host": f"db.{self.ref}.supabase.co",
                "version": "17.4.1.054",
                "postgres_engine": "17",
                "release_channel": "ga",
            }
        return body


class Fault:
    RATE_LIMITED, UNAVAILABLE, TIMEOUT, DROP = "429", "503", "timeout", "drop"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    operation: str
    status: int
    body: Any = None  # a JSON request's body, parsed (what tests compare the shape of requests by)


class Reply(Exception):
    """Raised by a handler to answer with an error status."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def _storage_error(status: str, error: str, message: str, code: str | None = None) -> dict[str, str]:
    return {"statusCode": status, "code": code or error, "error": error, "message": message}


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template))


def _multi(query: list[tuple[str, str]]) -> Any:
    from werkzeug.datastructures import ImmutableMultiDict

    return ImmutableMultiDict(query)


def _json(body: bytes, content_type: str) -> Any:
    if not body or not content_type.startswith("application/json"):
        return None
    return json.loads(body)


def _describe(errors: list[Exception]) -> str:
    parts = []
    for error in errors:
        causes = getattr(error, "__cause__", None)
        detail = getattr(causes, "schema_errors", None)
        if detail:
            parts += [f"{type(error).__name__}: {e.message}" for e in detail]
        else:
            parts.append(f"{type(error).__name__}: {error}")
    return "; ".join(parts)[:2000]
