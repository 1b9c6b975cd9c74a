"""Reads the stack's config once, applies Pulumi.yaml's defaults and validates it into a StackConfig.

Nothing is created before this succeeds: __main__.py calls it first, so a bad stack file stops
the program with one message that lists every problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pulumi
import yaml
from pulumi.runtime import config as runtime_config
from pydantic import BaseModel, ValidationError

from stackconfig.errors import ConfigError
from stackconfig.model import StackConfig
from stackconfig.paths import PROJECT_ROOT
from stackconfig.placeholders import placeholder_keys
from stackconfig.stripe import missing_secret_key_problem


@cache
def declared_keys(project_file: Path = PROJECT_ROOT / "Pulumi.yaml") -> Mapping[str, Mapping[str, Any]]:
    """The config block of Pulumi.yaml: key -> {description, default, type, secret}."""
    document = yaml.safe_load(project_file.read_text())
    return document.get("config") or {}


def load_stack_config() -> StackConfig:
    """The current stack's configuration, validated; raises ConfigError naming every bad key."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    raw, secret_keys = _current_config(project)
    config = validate_config(raw, secret_keys=secret_keys, stack_file=f"Pulumi.{stack}.yaml")
    # Secrets may come from the environment (CI), so this check runs here rather than in the model.
    stripe_key = missing_secret_key_problem(config.stripe_webhook, config.stripe_secret_key, os.environ)
    if stripe_key:
        raise ConfigError([stripe_key], f"Pulumi.{stack}.yaml")
    if config.stripe_webhook.enabled and config.stripe_publishable_key is None:
        pulumi.log.warn(
            "stripePublishableKey is not set: the frontend's checkout needs it (VITE_STRIPE_PUBLISHABLE_KEY); set it "
            "with `pulumi config set stripePublishableKey pk_live_...` (public, not a secret)"
        )
    placeholders = placeholder_keys({key: value for key, value in raw.items() if key not in secret_keys})
    if placeholders:
        pulumi.log.warn(
            f"Pulumi.{stack}.yaml still holds example values in {', '.join(placeholders)}; replace them with your "
            "organization's, domain's and repository's before `pulumi up` (see docs/architecture.md)"
        )
    return config


def validate_config(
    raw: Mapping[str, Any], *, secret_keys: AbstractSet[str] = frozenset(), stack_file: str
) -> StackConfig:
    declared = declared_keys()
    raw = dict(raw)
    problems: list[str] = []
    for key in sorted(set(raw) - set(declared)):
        problems.append(f"{key}: unknown key; the keys this program reads are: {', '.join(sorted(declared))}")
    for key, spec in declared.items():
        if spec.get("secret") and key in raw and key not in secret_keys:
            if raw[key] == spec.get("default"):
                del raw[key]  # the engine passes Pulumi.yaml's (empty) default of an unset secret as a plain value
                continue
            problems.append(f"{key}: must be a secret; set it with `pulumi config set --secret {key}`")
    if problems:
        raise ConfigError(problems, stack_file)

    # An optional secret declares `default: ""` (the engine treats a key without a default as required): unset.
    values = {
        key: spec["default"]
        for key, spec in declared.items()
        if "default" in spec and not (spec.get("secret") and spec["default"] == "")
    }
    values.update(raw)
    try:
        return StackConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError([_describe(error) for error in exc.errors(include_input=False)], stack_file) from None


def _current_config(project: str) -> tuple[dict[str, Any], set[str]]:
    """This project's keys, whether the engine passed them in the runtime or in PULUMI_CONFIG."""
    merged: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{project}:"
    raw = {key[len(prefix) :]: _parse(value) for key, value in merged.items() if key.startswith(prefix)}
    secret_keys = {
        key[len(prefix) :]
        for key in {*runtime_config._SECRET_KEYS.get(), *runtime_config.get_config_secret_keys_env()}
        if key.startswith(prefix)
    }
    return raw, secret_keys


def _parse(value: Any) -> Any:
    # The engine hands structured values over as JSON text and scalars as plain text.
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _describe(error: Mapping[str, Any]) -> str:
    """`database.lockTimeoutSeconds: Input should be less than or equal to 600` — never the value itself,
    which may be a secret."""
    location = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(error["loc"][:-1])) or "none"
        return f"{location}: unknown key; the keys allowed here are: {allowed}"
    if error["type"] == "missing":
        return f"{location}: required, and there is no default"
    return f"{location}: {error['msg']}"


def _allowed_keys(parent: tuple[Any, ...]) -> list[str]:
    """The camelCase keys the model at `parent` accepts, for the message about an unknown key."""
    model: Any = StackConfig
    for part in parent:
        if isinstance(part, int):
            continue
        field = next((f for name, f in model.model_fields.items() if part in (name, f.alias)), None)
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return sorted(field.alias or name for name, field in model.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `X`, `X | None` or `tuple[X, ...]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
