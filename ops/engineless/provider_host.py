"""A client for Pulumi's real dynamic-provider host (`python -m pulumi.dynamic`), speaking the engine's gRPC.

It does what the Pulumi engine does when it drives a dynamic resource: the provider travels pickled (with
pulumi's own `serialize_provider`) inside the `__provider` property, properties travel as protobuf Structs (so
every number arrives as a float), the host is configured first and, since dynamic providers do not accept
secrets, secret values are unwrapped before they are sent and their outputs marked secret again on return.
That catches what calling provider methods directly hides: pickling by reference, float numbers, secrets.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from stackconfig.paths import PROJECT_ROOT

PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN


@dataclass(frozen=True)
class Secret:
    """A property value the program marked secret."""

    value: Any


class Unknown:
    """A property value not known yet, as during a preview."""


@dataclass
class ProviderResult:
    id: str = ""
    outs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] | None = None
    changes: bool | None = None
    replaces: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    secret_outputs: set[str] = field(default_factory=set)


class ProviderError(RuntimeError):
    """The provider raised; `details` is exactly what the engine would print (the host's traceback)."""

    def __init__(self, method: str, details: str) -> None:
        super().__init__(f"{method} failed in the provider host:\n{details}")
        self.method = method
        self.details = details


class ProviderHost:
    """`with ProviderHost() as host: host.create(provider, props)`; one host process per context."""

    def __init__(self, cwd: Path = PROJECT_ROOT, env: dict[str, str] | None = None) -> None:
        self._cwd = cwd
        self._env = env or {}
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._stderr = tempfile.NamedTemporaryFile(prefix="provider-host-", suffix=".log", delete=False)  # noqa: SIM115
        self.accepts_secrets = False

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> ProviderHost:
        env = {**os.environ, **self._env}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self._cwd), env.get("PYTHONPATH", "")]))
        env.setdefault("PULUMI_PROJECT", "ai-platform")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "pulumi.dynamic"],
            cwd=self._cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        assert self._process.stdout is not None
        port_line = self._process.stdout.readline().decode().strip()
        if not port_line.isdigit():
            self.__exit__(None, None, None)
            raise RuntimeError(f"the dynamic provider host did not start: {self.log_text()}")
        self._channel = grpc.insecure_channel(f"127.0.0.1:{port_line}")
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        response = self._stub.Configure(
            provider_pb2.ConfigureRequest(
                args=struct_pb2.Struct(),
                acceptSecrets=True,
                acceptResources=True,
            )
        )
        self.accepts_secrets = bool(response.acceptSecrets)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._stderr.close()

    def log_text(self) -> str:
        """Everything the host printed to stderr: what an operator would see in the engine's logs."""
        self._stderr.flush()
        return Path(self._stderr.name).read_text(errors="replace")

    # ------------------------------------------------------------------ the provider protocol

    def check(
        self, provider: ResourceProvider, olds: dict[str, Any], news: dict[str, Any], urn: str = ""
    ) -> ProviderResult:
        request = provider_pb2.CheckRequest(
            urn=urn or _urn(provider),
            olds=self._props(provider, olds),
            news=self._props(provider, news),
        )
        response = self._call("Check", request)
        return ProviderResult(
            inputs=_plain(response.inputs),
            failures=[(f.property, f.reason) for f in response.failures],
        )

    def diff(
        self, provider: ResourceProvider, id_: str, olds: dict[str, Any], news: dict[str, Any], urn: str = ""
    ) -> ProviderResult:
        request = provider_pb2.DiffRequest(
            id=id_,
            urn=urn or _urn(provider),
            olds=self._props(provider, olds),
            news=self._props(provider, news),
        )
        response = self._call("Diff", request)
        changes = {
            provider_pb2.DiffResponse.DIFF_SOME: True,
            provider_pb2.DiffResponse.DIFF_NONE: False,
        }.get(response.changes)
        return ProviderResult(changes=changes, replaces=list(response.replaces))

    def create(
        self,
        provider: ResourceProvider,
        props: dict[str, Any],
        urn: str = "",
        additional_secret_outputs: tuple[str, ...] = (),
    ) -> ProviderResult:
        request = provider_pb2.CreateRequest(urn=urn or _urn(provider), properties=self._props(provider, props))
        response = self._call("Create", request)
        return self._with_secrets(
            ProviderResult(id=response.id, outs=_plain(response.properties)),
            props,
            additional_secret_outputs,
        )

    def update(
        self,
        provider: ResourceProvider,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        urn: str = "",
        additional_secret_outputs: tuple[str, ...] = (),
    ) -> ProviderResult:
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=urn or _urn(provider),
            olds=self._props(provider, olds),
            news=self._props(provider, news),
        )
        response = self._call("Update", request)
        return self._with_secrets(
            ProviderResult(id=id_, outs=_plain(response.properties)),
            news,
            additional_secret_outputs,
        )

    def read(
        self,
        provider: ResourceProvider,
        id_: str,
        props: dict[str, Any],
        urn: str = "",
        additional_secret_outputs: tuple[str, ...] = (),
    ) -> ProviderResult:
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=urn or _urn(provider),
            properties=self._props(provider, props),
            inputs=self._props(provider, props),
        )
        response = self._call("Read", request)
        result = ProviderResult(
            id=response.id,
            outs=_plain(response.properties),
            inputs=_plain(response.inputs) if response.HasField("inputs") else None,
        )
        return self._with_secrets(result, props, additional_secret_outputs)

    def delete(self, provider: ResourceProvider, id_: str, props: dict[str, Any], urn: str = "") -> None:
        request = provider_pb2.DeleteRequest(id=id_, urn=urn or _urn(provider), properties=self._props(provider, props))
        self._call("Delete", request)

    # ------------------------------------------------------------------ wire format

    def _call(self, method: str, request: Any) -> Any:
        assert self._stub is not None, "use ProviderHost as a context manager"
        try:
            return getattr(self._stub, method)(request, timeout=600)
        except grpc.RpcError as exc:
            raise ProviderError(method, exc.details() or str(exc)) from None

    def _props(self, provider: ResourceProvider | str, props: dict[str, Any]) -> struct_pb2.Struct:
        """Properties as the engine sends them, with the pickled provider under `__provider`."""
        serialized = provider if isinstance(provider, str) else serialize_provider(provider)
        wire = {key: self._wire(value) for key, value in props.items() if key != PROVIDER_KEY}
        wire[PROVIDER_KEY] = serialized
        struct = struct_pb2.Struct()
        struct.update(wire)
        return struct

    def _wire(self, value: Any) -> Any:
        if isinstance(value, Secret):
            inner = self._wire(value.value)
            # A provider that does not accept secrets gets the plain value; the engine keeps the secrecy.
            if not self.accepts_secrets:
                return inner
            return {rpc._special_sig_key: rpc._special_secret_sig, "value": inner}
        if isinstance(value, Unknown):
            return UNKNOWN
        if isinstance(value, dict):
            return {k: self._wire(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._wire(v) for v in value]
        return value

    @staticmethod
    def _with_secrets(result: ProviderResult, props: dict[str, Any], extra: tuple[str, ...]) -> ProviderResult:
        # The engine marks an output secret when the input of the same name was, or when the resource lists it
        # in additionalSecretOutputs.
        result.secret_outputs = {k for k, v in props.items() if isinstance(v, Secret)} | set(extra)
        result.secret_outputs &= set(result.outs)
        return result


def _plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    values = _deserialize(struct)
    values.pop(PROVIDER_KEY, None)
    return values


def _deserialize(struct: struct_pb2.Struct) -> dict[str, Any]:
    # Deserializing wants an event loop on this thread: use the thread's own, or give it one to keep.
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())
    return rpc.deserialize_properties(struct, keep_unknowns=True)


def _urn(provider: ResourceProvider) -> str:
    return f"urn:pulumi:test::ai-platform::pulumi-python:dynamic:{type(provider).__name__}::test"
