"""The file as the CLI sees it: TOML, then the [remotes.<name>] block whose project_id is the project's ref
laid over the base. env(NAME) references are replaced key by key as each group reads them (fields.Context)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackconfig.config_toml.errors import ConfigTomlError


def load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigTomlError(str(path), "does not exist; fix supabase.configToml (relative to the project)") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigTomlError(str(path), f"is not valid TOML: {error}") from None


def apply_remote(document: Mapping[str, Any], project_ref: str | None) -> tuple[dict[str, Any], str | None]:
    """The base with the remote whose project_id is `project_ref` laid over it (tables merged key by key, a
    remote's value replacing the base's), and that remote's name; no match: the base alone, as the CLI does."""
    base = {key: value for key, value in document.items() if key != "remotes"}
    remotes = document.get("remotes") or {}
    if not isinstance(remotes, Mapping):
        raise ConfigTomlError("remotes", "must be a table of [remotes.<name>] blocks")
    matches = []
    for name, remote in remotes.items():
        if not isinstance(remote, Mapping) or not isinstance(remote.get("project_id"), str):
            raise ConfigTomlError(f"remotes.{name}.project_id", "is required: the ref of the project it applies to")
        if remote["project_id"] == project_ref:
            matches.append(name)
    if len(matches) > 1:
        raise ConfigTomlError(f"remotes.{matches[1]}", f"has the same project_id as remotes.{matches[0]}")
    if not matches:
        return base, None
    overlay = {key: value for key, value in remotes[matches[0]].items() if key != "project_id"}
    return merge(base, overlay), matches[0]


def merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged
