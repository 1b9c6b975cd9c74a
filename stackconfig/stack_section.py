"""One section of a stack's config as the program would see it, read from the files alone (no engine): the stack
file's value over Pulumi.yaml's default. For operator commands that run beside a stack, not inside `pulumi up`."""

from __future__ import annotations

from typing import Any

import yaml

from stackconfig.errors import ConfigError
from stackconfig.loader import declared_keys
from stackconfig.paths import PROJECT_ROOT


def stack_section(stack: str, key: str) -> dict[str, Any]:
    stack_file = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise ConfigError(["--stack names no stack: give one whose Pulumi.<stack>.yaml exists"], stack_file.name)
    declared = declared_keys()
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())["name"]
    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    merged = dict(declared.get(key, {}).get("default") or {})
    merged.update(config.get(f"{project}:{key}") or {})
    return merged
