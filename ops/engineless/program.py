"""Runs __main__.py under Pulumi's mocks with a stack's config, and records everything it registers.

This is how the program is exercised without a Pulumi engine: the SDK runs for real and every resource
registration (its type, inputs with their secrecy, and options such as protect or retainOnDelete) is kept,
so tests can assert on what a `pulumi up` would ask the engine to create.
"""

from __future__ import annotations

import json
import logging
import runpy
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from ops.engineless.provider_host import Secret
from stackconfig.paths import PROJECT_ROOT

PROJECT_NAME = "ai-platform"


@dataclass
class Registered:
    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    secret_inputs: set[str]
    options: dict[str, Any]
    custom: bool
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProgramRun:
    stack: str
    resources: list[Registered]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    warnings: list[str]

    def of_type(self, token: str) -> list[Registered]:
        return [r for r in self.resources if r.type == token]

    def named(self, name: str) -> Registered:
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(
                f"{len(matches)} resources are named {name!r}; names: {sorted(r.name for r in self.resources)}"
            )
        return matches[0]


NewResource = Callable[[Registered], tuple[str, dict[str, Any]]]


class RegisteredArgs(pulumi_mocks.MockResourceArgs):
    """Pulumi's mock arguments, with the whole registration (parent, options) the mocks may answer from."""

    def __init__(self, registered: Registered, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registered = registered


class PlainMocks(pulumi_mocks.Mocks):
    """Answers every registration with its inputs as outputs and a made-up id; calls (invokes) with {}."""

    def __init__(
        self,
        new_resource: NewResource | None = None,
        call: Callable[[pulumi_mocks.MockCallArgs], dict[str, Any]] | None = None,
    ) -> None:
        self._new_resource = new_resource
        self._call = call

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if self._new_resource is not None:
            assert isinstance(args, RegisteredArgs), "registrations reach the mocks through RecordingMonitor"
            return self._new_resource(args.registered)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return (self._call(args) if self._call else {}), []


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, keeping each registration whole (the stock one drops options and secrecy)."""

    def __init__(self, mocks: pulumi_mocks.Mocks) -> None:
        super().__init__(mocks)
        self.registered: list[Registered] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type == "pulumi:pulumi:Stack":
            return super().RegisterResource(request)
        with_secrets = _with_secret_markers(request.object)
        registered = Registered(
            type=request.type,
            name=request.name,
            urn=self.make_urn(request.parent, request.type, request.name),
            inputs={k: _unwrap(v) for k, v in with_secrets.items()},
            secret_inputs={k for k, v in with_secrets.items() if _is_secret(v)},
            options={
                "protect": request.protect if request.HasField("protect") else False,
                "retain_on_delete": request.retainOnDelete if request.HasField("retainOnDelete") else False,
                "parent": request.parent,
                "provider": request.provider,
                "additional_secret_outputs": list(request.additionalSecretOutputs),
                "ignore_changes": list(request.ignoreChanges),
                "delete_before_replace": request.deleteBeforeReplace,
                "depends_on": list(request.dependencies),
                "import_id": request.importId,
            },
            custom=request.custom,
        )
        self.registered.append(registered)
        response = _register_with(self, request, registered)
        registered.id = response.id
        return response


def _register_with(monitor: RecordingMonitor, request: Any, registered: Registered) -> Any:
    """What the stock mock monitor does on registration, with our record attached to the mock args so mocks
    can see secrecy and options. (Registrations run on several threads at once, so nothing global is patched.)"""
    from pulumi.runtime.proto import resource_pb2

    args = RegisteredArgs(
        registered,
        typ=request.type,
        name=request.name,
        inputs=dict(registered.inputs),
        provider=request.provider,
        resource_id=request.importId,
        custom=request.custom or False,
    )
    id_, state = monitor.mocks.new_resource(args)
    state_proto = _sync_await(rpc.serialize_properties(state, {}))
    # A component has no id; Pulumi's own MockMonitor stores the None the same way.
    registration = pulumi_mocks.MockMonitor.ResourceRegistration(registered.urn, id_, state)  # type: ignore[arg-type]
    monitor.resources[registered.urn] = registration
    registered.outputs = dict(state)
    return resource_pb2.RegisterResourceResponse(urn=registered.urn, id=id_ or "", object=state_proto)


def stack_config(stack: str, overrides: dict[str, Any] | None = None) -> tuple[dict[str, str], list[str]]:
    """The config the engine would pass for `stack`: Pulumi.<stack>.yaml plus `overrides` (short keys of this
    project, or full `ns:key`). Values wrapped in Secret are passed as secrets, as `pulumi config set --secret`
    would. Encrypted values in the stack file cannot be decrypted here and must be overridden."""
    stack_file = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(f"{stack_file.name} does not exist; the stacks are local, staging and prod")
    document = yaml.safe_load(stack_file.read_text()) or {}
    # As the engine does: every default of Pulumi.yaml's config block is passed as a plain value (secrets'
    # too), then the stack file's values, then the overrides.
    project = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text()) or {}
    values: dict[str, Any] = {
        f"{PROJECT_NAME}:{key}": spec["default"]
        for key, spec in (project.get("config") or {}).items()
        if "default" in spec and spec["default"] is not None
    }
    values.update(document.get("config") or {})
    for key, value in (overrides or {}).items():
        values[key if ":" in key else f"{PROJECT_NAME}:{key}"] = value
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            continue  # encrypted in the stack file; only the engine can read it
        if isinstance(value, Secret):
            secret_keys.append(key)
            value = value.value
        config[key] = value if isinstance(value, str) else json.dumps(value)
    return config, secret_keys


def run_program(
    stack: str,
    config_overrides: dict[str, Any] | None = None,
    mocks: pulumi_mocks.Mocks | None = None,
    preview: bool = False,
) -> ProgramRun:
    """Runs __main__.py once for `stack` and returns what it registered and exported."""
    config, secret_keys = stack_config(stack, config_overrides)
    monitor = RecordingMonitor(mocks or PlainMocks())
    log_records: list[str] = []
    handler = _ListHandler(log_records)
    logging.getLogger().addHandler(handler)
    settings.reset_options(project=PROJECT_NAME, stack=stack, preview=preview)
    set_all_config(config, secret_keys)
    pulumi_mocks.set_mocks(
        monitor.mocks,
        project=PROJECT_NAME,
        stack=stack,
        preview=preview,
        monitor=monitor,
        logger=logging.getLogger("pulumi-program"),
    )
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _sync_await(run_pulumi_func(_run_main))
            outputs, secret_outputs = _stack_outputs()
    finally:
        logging.getLogger().removeHandler(handler)
    messages = log_records + [f"{w.category.__name__}: {w.message}" for w in caught]
    return ProgramRun(stack, monitor.registered, outputs, secret_outputs, messages)


def _stack_outputs() -> tuple[dict[str, Any], set[str]]:
    root = settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})

    async def resolve() -> tuple[dict[str, Any], set[str]]:
        values, secrets = {}, set()
        for name, value in exported.items():
            output = pulumi.Output.from_input(value)
            values[name] = await output.future()
            if await output.is_secret():
                secrets.add(name)
        return values, secrets

    return _sync_await(resolve())


class _ListHandler(logging.Handler):
    def __init__(self, records: list[str]) -> None:
        super().__init__(level=logging.WARNING)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def _unwrap(value: Any) -> Any:
    if _is_secret(value):
        return _unwrap(value["value"])
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _with_secret_markers(struct: Any) -> dict[str, Any]:
    """Top-level values as plain Python, secret ones still wrapped in the engine's secret envelope."""
    values = dict(rpc.deserialize_properties(struct))
    for key, raw in struct.fields.items():
        kind = raw.WhichOneof("kind")
        if (
            kind == "struct_value"
            and raw.struct_value.fields.get(rpc._special_sig_key) is not None
            and raw.struct_value.fields[rpc._special_sig_key].string_value == rpc._special_secret_sig
            and not _is_secret(values.get(key))
        ):
            values[key] = {rpc._special_sig_key: rpc._special_secret_sig, "value": values.get(key)}
    return values


def _run_main() -> None:
    runpy.run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__")
