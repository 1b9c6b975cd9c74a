"""A deployment of a stack without the Pulumi engine: the program runs under mocks, and each dynamic resource it
registers goes through Pulumi's real provider host (check, diff, then create or update) with state kept in a
file between runs, the way the engine keeps its checkpoint.

It serves the local stack (which only holds dynamic resources: the database layer) on machines without the
Pulumi CLI, and the tests that prove a first run applies everything and a second run changes nothing.
Non-dynamic resources (pulumi-aws and the like) cannot be deployed this way and are refused.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from ops.engineless.program import PlainMocks, ProgramRun, Registered, run_program
from ops.engineless.provider_host import PROVIDER_KEY, ProviderHost, Secret

DYNAMIC_PREFIX = "pulumi-python:dynamic"


@dataclass
class Step:
    urn: str
    action: str  # create | update | same | delete
    detail: str = ""


@dataclass
class DeployReport:
    steps: list[Step] = field(default_factory=list)
    run: ProgramRun | None = None

    def actions(self) -> dict[str, str]:
        return {step.urn.rsplit("::", 1)[-1]: step.action for step in self.steps}

    @property
    def changed(self) -> bool:
        return any(step.action != "same" for step in self.steps)


class StateFile:
    """The checkpoint: resource URN -> {type, id, inputs, outputs}. Secret values are encrypted with a key kept
    beside the file (mode 0600), as the engine encrypts secrets in its checkpoint."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key_path = path.with_suffix(".key")

    def load(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        fernet = self._fernet()
        return {urn: _decrypt(entry, fernet) for urn, entry in json.loads(self.path.read_text()).items()}

    def save(self, resources: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fernet = self._fernet()
        encrypted = {urn: _encrypt(entry, fernet) for urn, entry in resources.items()}
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(encrypted, indent=2, sort_keys=True))
        temporary.replace(self.path)  # a crash mid-write never leaves a torn checkpoint

    def _fernet(self) -> Fernet:
        if not self._key_path.exists():
            self._key_path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self._key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
        return Fernet(self._key_path.read_bytes())


def deploy(
    stack: str, state_file: Path, *, preview: bool = False, config_overrides: dict[str, Any] | None = None
) -> DeployReport:
    """`pulumi up` (or `pulumi preview`) of `stack`, engine-less. Deletes what the program no longer declares."""
    state = StateFile(state_file)
    resources = state.load()
    report = DeployReport()
    lock = threading.Lock()
    seen: set[str] = set()

    with ProviderHost() as host:

        def new_resource(registered: Registered) -> tuple[str, dict[str, Any]]:
            if not registered.custom:
                return "", {}
            if not registered.type.startswith(DYNAMIC_PREFIX):
                raise RuntimeError(
                    f"{registered.name} ({registered.type}) needs the Pulumi engine; the engine-less deployment only "
                    "runs dynamic resources. Switch this part off in the stack's config, or use `pulumi up`."
                )
            with lock:
                seen.add(registered.urn)
                previous = resources.get(registered.urn)
            step, entry = _converge(host, registered, previous, preview)
            with lock:
                report.steps.append(step)
                if not preview:
                    resources[registered.urn] = entry
                    state.save(resources)
            return entry["id"], entry["outputs"]

        report.run = run_program(stack, config_overrides, PlainMocks(new_resource), preview=preview)
        for urn in sorted(set(resources) - seen):
            entry = resources[urn]
            if not preview:
                host.delete(entry["outputs"][PROVIDER_KEY], entry["id"], _with_secrets(entry, "outputs"), urn=urn)
                del resources[urn]
                state.save(resources)
            report.steps.append(Step(urn, "delete"))
    return report


def _converge(
    host: ProviderHost, registered: Registered, previous: dict[str, Any] | None, preview: bool
) -> tuple[Step, dict[str, Any]]:
    provider = registered.inputs[PROVIDER_KEY]
    news = {k: Secret(v) if k in registered.secret_inputs else v for k, v in registered.inputs.items()}
    olds = _with_secrets(previous, "inputs") if previous else {}
    checked = host.check(provider, olds, news, urn=registered.urn)
    if checked.failures:
        problems = "; ".join(f"{prop}: {reason}" for prop, reason in checked.failures)
        raise ValueError(f"{registered.name}: invalid inputs: {problems}")
    inputs = {k: Secret(v) if k in registered.secret_inputs else v for k, v in (checked.inputs or {}).items()}
    secret_extra = tuple(registered.options.get("additional_secret_outputs") or ())

    if previous is None:
        if preview:
            return Step(registered.urn, "create"), {"id": "", "outputs": dict(registered.inputs)}
        created = host.create(provider, inputs, urn=registered.urn, additional_secret_outputs=secret_extra)
        return Step(registered.urn, "create"), _entry(
            registered, created.id, inputs, created.outs, created.secret_outputs
        )

    old_outputs = _with_secrets(previous, "outputs")
    diff = host.diff(provider, previous["id"], old_outputs, inputs, urn=registered.urn)
    if not diff.changes:
        return Step(registered.urn, "same"), previous
    if preview:
        return Step(registered.urn, "update"), previous
    updated = host.update(
        provider, previous["id"], old_outputs, inputs, urn=registered.urn, additional_secret_outputs=secret_extra
    )
    return Step(registered.urn, "update"), _entry(
        registered, previous["id"], inputs, updated.outs, updated.secret_outputs
    )


def _entry(
    registered: Registered, id_: str, inputs: dict[str, Any], outs: dict[str, Any], secret_outputs: set[str]
) -> dict[str, Any]:
    plain_inputs = {k: v.value if isinstance(v, Secret) else v for k, v in inputs.items()}
    outputs = {**outs, PROVIDER_KEY: registered.inputs[PROVIDER_KEY]}
    return {
        "type": registered.type,
        "id": id_,
        "inputs": plain_inputs,
        "outputs": outputs,
        "secret_inputs": sorted(registered.secret_inputs),
        "secret_outputs": sorted(secret_outputs | {PROVIDER_KEY}),
    }


def _with_secrets(entry: dict[str, Any], which: str) -> dict[str, Any]:
    secret_keys = set(entry.get(f"secret_{which}", ()))
    return {k: Secret(v) if k in secret_keys else v for k, v in entry[which].items()}


def _encrypt(entry: dict[str, Any], fernet: Fernet) -> dict[str, Any]:
    result = dict(entry)
    for which in ("inputs", "outputs"):
        secret_keys = set(entry.get(f"secret_{which}", ()))
        result[which] = {
            k: {"ciphertext": fernet.encrypt(json.dumps(v).encode()).decode()} if k in secret_keys else v
            for k, v in entry[which].items()
        }
    return result


def _decrypt(entry: dict[str, Any], fernet: Fernet) -> dict[str, Any]:
    result = dict(entry)
    for which in ("inputs", "outputs"):
        secret_keys = set(entry.get(f"secret_{which}", ()))
        result[which] = {
            k: json.loads(fernet.decrypt(v["ciphertext"].encode())) if k in secret_keys else v
            for k, v in entry[which].items()
        }
    return result
