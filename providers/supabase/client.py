"""The Supabase Management API (https://api.supabase.com/v1), one method per operation we use.

Each method names its operation and resource, so an error says what failed on what. Calls that may
be repeated safely (GET/PUT/DELETE, and the POSTs marked idempotent below) are retried on 429, 502,
503, 504 and timeouts; creating a project is not, because a lost answer does not mean it failed:
the project provider looks the project up by name instead (see project.py).
"""

from __future__ import annotations

import os
from typing import Any

from providers.supabase.errors import Redactor, SupabaseError
from providers.supabase.transport import Answer, RetryPolicy, Transport
from stackconfig.urls import insecure_url_problem

DEFAULT_API_URL = "https://api.supabase.com"
TOKEN_VARIABLE = "SUPABASE_ACCESS_TOKEN"
HEALTH_SERVICES = ("auth", "db", "pooler", "rest", "storage")


def resolve_token(configured: str | None) -> str:
    """SUPABASE_ACCESS_TOKEN wins (CI sets it), then the stack's secret `supabaseAccessToken`."""
    token = os.environ.get(TOKEN_VARIABLE) or configured
    if not token:
        raise SupabaseError(
            "No Supabase access token: set SUPABASE_ACCESS_TOKEN, or run "
            "`pulumi config set --secret supabaseAccessToken <token>` (create one at "
            "https://supabase.com/dashboard/account/tokens)."
        )
    return token


class ManagementClient:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_API_URL,
        *,
        redactor: Redactor | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        # Checked here too, not only in the stack config: the token must never leave on plain http.
        problem = insecure_url_problem(base_url)
        if problem:
            raise SupabaseError(f"Management API URL {problem}")
        self.redact = redactor or Redactor()
        self.redact.add(token)
        self.base_url = base_url.rstrip("/")
        self._http = Transport(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            redactor=self.redact,
            policy=policy,
        )

    def _call(self, method: str, path: str, operation: str, resource: str, **kwargs: Any) -> Any:
        answer: Answer = self._http.send(method, path, operation=operation, resource=resource, **kwargs)
        return answer.body

    # ------------------------------------------------------------------ projects
    def find_projects_by_name(self, organization_slug: str, name: str) -> list[dict[str, Any]]:
        """Every project of the organization with exactly this name (the search is a substring match)."""
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self._call(
                "GET",
                f"/v1/organizations/{organization_slug}/projects",
                "list projects",
                f"organization {organization_slug}",
                params={"search": name, "limit": 100, "offset": offset},
            )
            projects = page.get("projects", [])
            found.extend(p for p in projects if p.get("name") == name and not p.get("is_branch"))
            offset += len(projects)
            if not projects or offset >= int(page.get("pagination", {}).get("count", 0)):
                return found

    def create_project(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "POST", "/v1/projects", "create project", f"project {body['name']!r}", json=body, idempotent=False
        )

    def get_project(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}", "get project", f"project {ref}")

    def rename_project(self, ref: str, name: str) -> dict[str, Any]:
        return self._call(
            "PATCH", f"/v1/projects/{ref}", "rename project", f"project {ref}", json={"name": name}, idempotent=True
        )

    def delete_project(self, ref: str) -> dict[str, Any]:
        return self._call("DELETE", f"/v1/projects/{ref}", "delete project", f"project {ref}")

    def services_health(self, ref: str, services: tuple[str, ...] = HEALTH_SERVICES) -> list[dict[str, Any]]:
        return self._call(
            "GET",
            f"/v1/projects/{ref}/health",
            "check project health",
            f"project {ref}",
            params=[("services", service) for service in services],
        )

    def api_keys(self, ref: str) -> list[dict[str, Any]]:
        return self._call(
            "GET", f"/v1/projects/{ref}/api-keys", "read API keys", f"project {ref}", params={"reveal": "true"}
        )

    def pooler_config(self, ref: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/projects/{ref}/config/database/pooler", "read pooler config", f"project {ref}")

    def set_database_password(self, ref: str, password: str) -> None:
        self.redact.add(password)
        self._call(
            "PATCH",
            f"/v1/projects/{ref}/database/password",
            "set database password",
            f"project {ref}",
            json={"password": password},
            idempotent=True,
        )

    def apply_compute_size(self, ref: str, size: str) -> None:
        self._call(
            "PATCH",
            f"/v1/projects/{ref}/billing/addons",
            "change compute size",
            f"project {ref}",
            json={"addon_type": "compute_instance", "addon_variant": f"ci_{size}"},
            idempotent=True,
        )

    # ------------------------------------------------------------------ point-in-time recovery
    def selected_addon(self, ref: str, addon_type: str) -> str | None:
        """The variant id of the project's add-on of this type (`pitr_7`), or None."""
        body = self._call("GET", f"/v1/projects/{ref}/billing/addons", "list add-ons", f"project {ref}")
        for addon in body.get("selected_addons", []):
            if addon.get("type") == addon_type:
                return str(addon["variant"]["id"])
        return None

    def apply_addon(self, ref: str, addon_type: str, variant: str) -> None:
        self._call(
            "PATCH",
            f"/v1/projects/{ref}/billing/addons",
            f"apply the {addon_type} add-on",
            f"project {ref}",
            json={"addon_type": addon_type, "addon_variant": variant},
            idempotent=True,
        )

    def remove_addon(self, ref: str, variant: str) -> None:
        self._call(
            "DELETE",
            f"/v1/projects/{ref}/billing/addons/{variant}",
            f"remove the {variant} add-on",
            f"project {ref}",
            idempotent=True,
        )

    def restore_pitr(self, ref: str, unix_seconds: int) -> None:
        # Not idempotent: a retried restore would start a second one.
        self._call(
            "POST",
            f"/v1/projects/{ref}/database/backups/restore-pitr",
            "restore to a point in time",
            f"project {ref}",
            json={"recovery_time_target_unix": unix_seconds},
        )

    # ------------------------------------------------------------------ auth
    def get_auth_config(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/config/auth", "read auth settings", f"project {ref}")

    def update_auth_config(self, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PATCH",
            f"/v1/projects/{ref}/config/auth",
            "update auth settings",
            f"project {ref}",
            json=changes,
            idempotent=True,
        )

    def list_third_party_auth(self, ref: str) -> list[dict[str, Any]]:
        return self._call(
            "GET", f"/v1/projects/{ref}/config/auth/third-party-auth", "list third-party auth", f"project {ref}"
        )

    def get_third_party_auth(self, ref: str, integration_id: str) -> dict[str, Any]:
        return self._call(
            "GET",
            f"/v1/projects/{ref}/config/auth/third-party-auth/{integration_id}",
            "read third-party auth",
            f"integration {integration_id}",
        )

    def create_third_party_auth(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        # Not retried: a second POST after a lost answer would add a second integration.
        return self._call(
            "POST",
            f"/v1/projects/{ref}/config/auth/third-party-auth",
            "add third-party auth",
            f"project {ref}",
            json=body,
        )

    def delete_third_party_auth(self, ref: str, integration_id: str) -> None:
        self._call(
            "DELETE",
            f"/v1/projects/{ref}/config/auth/third-party-auth/{integration_id}",
            "remove third-party auth",
            f"integration {integration_id}",
        )

    # ------------------------------------------------------------------ database settings
    def get_postgres_config(self, ref: str) -> dict[str, Any]:
        return self._call(
            "GET", f"/v1/projects/{ref}/config/database/postgres", "read Postgres config", f"project {ref}"
        )

    def update_postgres_config(self, ref: str, settings: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PUT",
            f"/v1/projects/{ref}/config/database/postgres",
            "update Postgres config",
            f"project {ref}",
            json=settings,
        )

    def get_ssl_enforcement(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/ssl-enforcement", "read SSL enforcement", f"project {ref}")

    def set_ssl_enforcement(self, ref: str, enforced: bool) -> dict[str, Any]:
        return self._call(
            "PUT",
            f"/v1/projects/{ref}/ssl-enforcement",
            "set SSL enforcement",
            f"project {ref}",
            json={"requestedConfig": {"database": enforced}},
        )

    def get_network_restrictions(self, ref: str) -> dict[str, Any]:
        return self._call(
            "GET", f"/v1/projects/{ref}/network-restrictions", "read network restrictions", f"project {ref}"
        )

    def apply_network_restrictions(self, ref: str, ipv4: list[str], ipv6: list[str]) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v1/projects/{ref}/network-restrictions/apply",
            "apply network restrictions",
            f"project {ref}",
            json={"dbAllowedCidrs": ipv4, "dbAllowedCidrsV6": ipv6},
            idempotent=True,  # replaces the whole list: sending it twice leaves the same state
        )

    # ------------------------------------------------------------------ service settings
    # Each PATCH sets the fields it carries to the values it carries: sending it twice leaves the same state.
    def get_postgrest_config(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/postgrest", "read Data API settings", f"project {ref}")

    def update_postgrest_config(self, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PATCH", f"/v1/projects/{ref}/postgrest", "update Data API settings", f"project {ref}",
            json=changes, idempotent=True,
        )  # fmt: skip

    def get_storage_config(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/config/storage", "read Storage settings", f"project {ref}")

    def update_storage_config(self, ref: str, body: dict[str, Any]) -> None:
        self._call(
            "PATCH", f"/v1/projects/{ref}/config/storage", "update Storage settings", f"project {ref}",
            json=body, idempotent=True,
        )  # fmt: skip

    def update_pooler_config(self, ref: str, changes: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "PATCH", f"/v1/projects/{ref}/config/database/pooler", "update pooler settings", f"project {ref}",
            json=changes, idempotent=True,
        )  # fmt: skip

    # ------------------------------------------------------------------ function secrets
    def list_secrets(self, ref: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/projects/{ref}/secrets", "list function secrets", f"project {ref}")

    def set_secrets(self, ref: str, secrets: dict[str, str]) -> None:
        for value in secrets.values():
            self.redact.add(value)
        self._call(
            "POST",
            f"/v1/projects/{ref}/secrets",
            "set function secrets",
            f"project {ref} secrets {', '.join(sorted(secrets))}",
            json=[{"name": name, "value": value} for name, value in sorted(secrets.items())],
            idempotent=True,  # an upsert by name
        )

    def delete_secrets(self, ref: str, names: list[str]) -> None:
        self._call(
            "DELETE",
            f"/v1/projects/{ref}/secrets",
            "delete function secrets",
            f"project {ref} secrets {', '.join(sorted(names))}",
            json=sorted(names),
        )

    # ------------------------------------------------------------------ edge functions
    def get_function(self, ref: str, slug: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/functions/{slug}", "read function", f"function {slug}")

    def list_functions(self, ref: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/v1/projects/{ref}/functions", "list functions", f"project {ref}")

    def deploy_function(
        self, ref: str, slug: str, metadata: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> dict[str, Any]:
        import json as jsonlib

        parts: list[tuple[str, tuple[str | None, bytes | str, str]]] = [
            ("metadata", (None, jsonlib.dumps(metadata), "application/json"))
        ]
        parts += [("file", (name, content, "application/octet-stream")) for name, content in files]
        return self._call(
            "POST",
            f"/v1/projects/{ref}/functions/deploy",
            "deploy function",
            f"function {slug}",
            params={"slug": slug},
            files=parts,
            idempotent=True,  # deploying the same files again yields the same function
        )

    def delete_function(self, ref: str, slug: str) -> None:
        self._call("DELETE", f"/v1/projects/{ref}/functions/{slug}", "delete function", f"function {slug}")

    # ------------------------------------------------------------------ custom domain
    def get_custom_hostname(self, ref: str) -> dict[str, Any]:
        return self._call("GET", f"/v1/projects/{ref}/custom-hostname", "read custom domain", f"project {ref}")

    def initialize_custom_hostname(self, ref: str, hostname: str) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v1/projects/{ref}/custom-hostname/initialize",
            "initialize custom domain",
            f"domain {hostname}",
            json={"custom_hostname": hostname},
            idempotent=True,
        )

    def reverify_custom_hostname(self, ref: str, hostname: str) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v1/projects/{ref}/custom-hostname/reverify",
            "verify custom domain",
            f"domain {hostname}",
            idempotent=True,
        )

    def activate_custom_hostname(self, ref: str, hostname: str) -> dict[str, Any]:
        return self._call(
            "POST",
            f"/v1/projects/{ref}/custom-hostname/activate",
            "activate custom domain",
            f"domain {hostname}",
            idempotent=True,
        )

    def delete_custom_hostname(self, ref: str, hostname: str) -> None:
        self._call("DELETE", f"/v1/projects/{ref}/custom-hostname", "remove custom domain", f"domain {hostname}")
