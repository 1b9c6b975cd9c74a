"""A service group's `enabled` switch: `enabled = false` makes config push skip the group, while a stack that
manages the group keeps it applied, so only true (or no switch) is taken."""

from __future__ import annotations

from stackconfig.config_toml.errors import ConfigTomlError
from stackconfig.config_toml.fields import ApiFields


def require_enabled(table: str, fields: ApiFields, what: str) -> ApiFields:
    if fields.settings.pop("enabled", True) is not True:
        raise ConfigTomlError(
            f"{table}.enabled", f"must be true (or absent): this program manages {what}; remove the table instead"
        )
    return fields
