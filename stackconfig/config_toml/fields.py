"""How a config.toml key becomes an Auth API field: the conversions `supabase config push` applies (checked
against the real CLI by tests/supabase/test_config_push_comparison.py), and the refusal of unknown keys."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError

ENV_REFERENCE = re.compile(r"^env\((.*)\)$")
# Go's time.ParseDuration units the CLI accepts for max_frequency and sessions ("1m30s", "24h", "500ms").
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_SECONDS_PER_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


@dataclass
class ApiFields:
    """What a group contributes: plain Auth API fields, and secret fields by the config path that names them."""

    settings: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # api field -> config.toml path (for messages)

    def merge(self, other: ApiFields) -> None:
        self.settings.update(other.settings)
        self.secrets.update(other.secrets)


@dataclass(frozen=True)
class Context:
    """Where the file lives (content_path values are relative to the project root, the folder that holds
    supabase/, as the CLI reads them) and the environment env(NAME) references are read from."""

    project_root: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def resolve(self, path: str, value: Any) -> Any:
        """env(NAME) in a string (or in a list's strings) becomes $NAME, as the CLI does. An unset NAME is
        refused here; the CLI would send the literal text `env(NAME)`."""
        if isinstance(value, list):
            return [self.resolve(f"{path}[{index}]", item) for index, item in enumerate(value)]
        found = ENV_REFERENCE.match(value) if isinstance(value, str) else None
        if found is None:
            return value
        name = found.group(1)
        if name not in self.env:
            raise ConfigTomlError(path, f"refers to env({name}), which is not set; export {name} or write the value")
        return self.env[name]


Converter = Callable[[str, Any, Context], Any]


def text(path: str, value: Any, _ctx: Context) -> str:
    if not isinstance(value, str):
        raise ConfigTomlError(path, f"must be a string, got {value!r}")
    return value


def boolean(path: str, value: Any, _ctx: Context) -> bool:
    if not isinstance(value, bool):
        raise ConfigTomlError(path, f"must be true or false, got {value!r}")
    return value


def inverted(path: str, value: Any, ctx: Context) -> bool:
    """enable_signup -> disable_signup, enable_confirmations -> mailer_autoconfirm."""
    return not boolean(path, value, ctx)


def integer(path: str, value: Any, _ctx: Context) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigTomlError(path, f"must be a whole number, got {value!r}")
    if value < 0:
        raise ConfigTomlError(path, "must not be negative")
    return value


def port_text(path: str, value: Any, ctx: Context) -> str:
    """smtp.port: a number in the file, a string in the API."""
    port = integer(path, value, ctx)
    if not 1 <= port <= 65535:
        raise ConfigTomlError(path, "must be a port, 1-65535")
    return str(port)


def duration_seconds(path: str, value: Any, _ctx: Context) -> int:
    return int(_duration(path, value))


def duration_hours(path: str, value: Any, _ctx: Context) -> float | int:
    hours = _duration(path, value) / 3600
    return int(hours) if hours.is_integer() else hours


def text_list(path: str, value: Any, _ctx: Context) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigTomlError(path, "must be a list of strings")
    return list(value)


def comma_list(path: str, value: Any, _ctx: Context) -> str:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigTomlError(path, "must be a list of strings")
    bad = [item for item in value if "," in item]
    if bad:
        raise ConfigTomlError(path, f"{bad[0]!r} contains a comma (the API joins the list with commas)")
    return ",".join(value)


def file_content(path: str, value: Any, ctx: Context) -> str:
    relative = text(path, value, ctx)
    location = (ctx.project_root / relative).resolve()
    if not location.is_file():
        raise ConfigTomlError(path, f"{relative} does not exist (relative to {ctx.project_root})")
    return location.read_text(encoding="utf-8")


def one_of(choices: Mapping[str, Any]) -> Converter:
    def convert(path: str, value: Any, _ctx: Context) -> Any:
        if value not in choices:
            raise ConfigTomlError(path, f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}")
        return choices[value]

    return convert


def _duration(path: str, value: Any) -> float:
    if not isinstance(value, str) or not value:
        raise ConfigTomlError(path, f'must be a duration such as "60s", "1m30s" or "24h", got {value!r}')
    parts = _DURATION_PART.findall(value)
    if "".join(number + unit for number, unit in parts) != value:
        raise ConfigTomlError(path, f'{value!r} is not a duration such as "60s", "1m30s" or "24h"')
    return sum(float(number) * _SECONDS_PER_UNIT[unit] for number, unit in parts)


@dataclass(frozen=True)
class Plain:
    api: str
    convert: Converter = text


@dataclass(frozen=True)
class Secret:
    """A secret key: in the file only as env(NAME); the value is a Pulumi secret (supabaseAuthSecrets.<api>)."""

    api: str


Spec = Plain | Secret


def convert_table(
    path: str, table: Any, keys: Mapping[str, Spec], ctx: Context, *, nested: tuple[str, ...] = ()
) -> ApiFields:
    """The keys of one table; a key not in `keys` (nor a nested table the caller handles) is refused by name."""
    if not isinstance(table, Mapping):
        raise ConfigTomlError(path, "must be a table")
    unknown = sorted(set(table) - set(keys) - set(nested))
    if unknown:
        raise ConfigTomlError(
            f"{path}.{unknown[0]}",
            "is not a setting this program manages (it would be silently ignored); remove it. Managed here: "
            + ", ".join(sorted({*keys, *nested})),
        )
    out = ApiFields()
    for key, spec in keys.items():
        if key not in table:
            continue
        where = f"{path}.{key}"
        if isinstance(spec, Secret):
            value = table[key]
            if not (isinstance(value, str) and ENV_REFERENCE.match(value)):
                raise ConfigTomlError(
                    where,
                    f"a secret may not be written in the file; write env(NAME) and set the Pulumi secret "
                    f"`pulumi config set --secret --path 'supabaseAuthSecrets.{spec.api}' <value>`",
                )
            out.secrets[spec.api] = where
        else:
            out.settings[spec.api] = spec.convert(where, ctx.resolve(where, table[key]), ctx)
    return out


def switched_off(fields: ApiFields, switch: str) -> ApiFields:
    """A hook or provider with enabled = false: only the switch is sent, as the CLI does (its URL, client id
    and secret are left as they are, and its secret need not be set)."""
    if fields.settings.get(switch) is not False:
        return fields
    return ApiFields(settings={switch: False})
