"""config.toml, the Supabase CLI's project file, as an input of the program (`supabase.configToml`).

The file is read the way `supabase config push` reads it: TOML (tomllib), the `[remotes.<name>]` block whose
`project_id` is the project's ref laid over the base (document.py), `env(NAME)` references replaced from the
environment. Then every group is converted to Management API fields by its own module, and anything the
program does not manage is refused, naming the key: a setting ignored in silence would look applied.

The interface, for a module of a new group (one module per config.toml table):

    TABLE = "auth.mfa"        # the dotted path of the table it reads
    SERVICE = "auth"          # the API the fields go to: the key of the result (auth, api, db, storage...)
    def read(table, ctx: Context) -> ApiFields   # the table's keys as API fields; refuse unknown keys with
                                                 # fields.convert_table or ConfigTomlError(key, fix)

and add the module to GROUPS below (a sub-table's parent module lists it as nested, e.g. auth.SUB_GROUPS).
ApiFields holds `settings` (plain API fields) and `secrets` (API field -> config path): a secret is written
in the file only as env(NAME), its value is the Pulumi secret `supabaseAuthSecrets.<api field>`.
Stack config overrides the file: `supabaseConfig` has the file's shape and is laid over it (read_config).
The service groups ([api], [db], [db.pooler], [storage]) give the field names of their stack keys instead of API
fields, for those keys' models to validate (stackconfig/supabase_service_groups.py).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from stackconfig.config_toml import (
    api,
    auth,
    auth_captcha,
    auth_email,
    auth_external,
    auth_hook,
    auth_mfa,
    auth_rate_limit,
    auth_sms,
    auth_third_party,
    db,
    db_pooler,
    document,
    storage,
)
from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import ApiFields, Context

# Every table the program reads, parents before their sub-tables.
GROUPS: tuple[ModuleType, ...] = (
    auth, auth_email, auth_sms, auth_mfa, auth_hook, auth_captcha, auth_rate_limit, auth_external, auth_third_party,
    api, db, db_pooler, storage,
)  # fmt: skip
# Top-level keys that are no group: the file's own name for the project, and the remotes (applied first).
FILE_KEYS = frozenset({"project_id", "remotes"})

__all__ = ["GROUPS", "ApiFields", "ConfigTomlError", "Context", "read_config", "read_document"]


def read_config(
    path: Path | None,
    *,
    project_ref: str | None,
    overrides: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, ApiFields]:
    """The API fields per service from the file at `path` (None: none) with `overrides` (stack config, the
    file's shape) laid over it after its remote; {} when neither sets anything."""
    raw = document.load(path) if path is not None else {}
    base, _remote = document.apply_remote(raw, project_ref)
    merged = document.merge(base, overrides or {})
    root = path.resolve().parent.parent if path is not None else Path.cwd()
    return read_document(merged, Context(project_root=root, env=dict(os.environ) if env is None else env))


def read_document(doc: Mapping[str, Any], ctx: Context) -> dict[str, ApiFields]:
    top_level = {module.TABLE for module in GROUPS if "." not in module.TABLE}
    unknown = sorted(set(doc) - top_level - FILE_KEYS)
    if unknown:
        raise ConfigTomlError(
            unknown[0],
            "is not a group this program manages (it would be silently ignored); remove it. Managed: "
            + ", ".join(sorted(top_level)),
        )
    result: dict[str, ApiFields] = {}
    for module in GROUPS:
        table = _table(doc, module.TABLE)
        if table is None:
            continue
        result.setdefault(module.SERVICE, ApiFields()).merge(module.read(table, ctx))
    return result


def _table(doc: Mapping[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node
