"""The service settings of config.toml ([api], [db], [db.pooler], [storage]) for the stack: the file's groups
(`supabase.configToml`, with its remote and env() references) with `supabaseConfig` laid over them, then every
field the stack's own key (`supabaseApi`, `supabaseDatabase`, `supabasePooler`, `supabaseStorageSettings`) sets
away from its default over that: the engine hands over Pulumi.yaml's defaults of an unset key as values, so a
default cannot tell "set" from "unset" (to put a field back to its default over the file, use supabaseConfig). Each key's model validates the result, so a bad value in the file gets
the same message as in the stack key. A group neither the file nor supabaseConfig has is the stack key as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from stackconfig.config_toml import ApiFields
from stackconfig.supabase import SupabaseDatabaseSettingsConfig
from stackconfig.supabase_auth_groups import read_groups
from stackconfig.supabase_services import SupabaseApiConfig, SupabasePoolerConfig, SupabaseStorageSettingsConfig

if TYPE_CHECKING:
    from stackconfig.model import StackConfig

Model = TypeVar("Model", bound=BaseModel)
# The file's table of each service, for messages.
TABLES = {"api": "[api]", "database": "[db]", "pooler": "[db.pooler]", "storage": "[storage]"}


@dataclass(frozen=True)
class ServiceGroups:
    api: SupabaseApiConfig
    database: SupabaseDatabaseSettingsConfig
    pooler: SupabasePoolerConfig
    storage: SupabaseStorageSettingsConfig
    storage_limit_key: str  # where storage.file_size_limit was written, for messages


def service_groups(config: StackConfig) -> ServiceGroups:
    groups = read_groups(config)
    from_file = "file_size_limit" in groups.get("storage", ApiFields()).settings
    from_stack = config.supabase_storage_settings.file_size_limit is not None
    return ServiceGroups(
        api=_overlay("api", groups, config.supabase_api),
        database=_overlay("database", groups, config.supabase_database),
        pooler=_overlay("pooler", groups, config.supabase_pooler),
        storage=_overlay("storage", groups, config.supabase_storage_settings),
        storage_limit_key=(
            "config.toml [storage] file_size_limit"
            if from_file and not from_stack
            else "supabaseStorageSettings.fileSizeLimit"
        ),
    )


def _overlay(service: str, groups: dict[str, ApiFields], stack: Model) -> Model:
    fields = groups.get(service)
    if fields is None:
        return stack
    default = type(stack)()
    explicit: dict[str, Any] = {
        name: getattr(stack, name)
        for name in type(stack).model_fields
        if getattr(stack, name) != getattr(default, name)
    }
    try:
        return type(stack).model_validate({**fields.settings, **explicit})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ValueError(f"config.toml {TABLES[service]} (with supabaseConfig): {problems}") from None
