"""Lookups over a ProgramRun's registrations, with failure messages that name the resource."""

from __future__ import annotations

import json
from typing import Any

from ops.engineless.program import ProgramRun, Registered


def one(run: ProgramRun, type_token: str, name: str | None = None) -> Registered:
    found = [r for r in run.resources if r.type == type_token and (name is None or r.name == name)]
    assert len(found) == 1, f"{run.stack}: expected one {type_token} {name or ''}, found {[r.name for r in found]}"
    return found[0]


def all_of(run: ProgramRun, type_token: str) -> list[Registered]:
    return [r for r in run.resources if r.type == type_token]


def children(run: ProgramRun, component_type: str, type_token: str) -> list[Registered]:
    """Resources of `type_token` whose parent is a component of `component_type`."""
    return [r for r in all_of(run, type_token) if f"{component_type}::" in r.options["parent"]]


def policy(resource: Registered, key: str = "policy") -> dict[str, Any]:
    document = json.loads(resource.inputs[key])
    assert document["Version"] == "2012-10-17", f"{resource.name}: policy document without a version"
    return document


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    matches = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(matches) == 1, f"no single statement {sid}: {[s.get('Sid') for s in document['Statement']]}"
    return matches[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
