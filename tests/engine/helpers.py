"""Running an engine operation and keeping what it did to each resource, as `pulumi` prints it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.automation import events

NOT_A_CHANGE = {"same", "read", "refresh"}
ENGINE_TYPES = ("pulumi:pulumi:Stack", "pulumi:providers:")


@dataclass
class Steps:
    """Resource name -> the step the engine took (create, update, same, delete, ...), and its full output."""

    ops: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)

    def on_event(self, event: events.EngineEvent) -> None:
        pre = event.resource_pre_event
        # The stack and the default dynamic provider are the engine's own: the provider's inputs are the whole
        # stack config, so it shows as updated whenever any config key changes.
        if pre is not None and not pre.metadata.type.startswith(ENGINE_TYPES):
            self.ops[pre.metadata.urn.rsplit("::", 1)[-1]] = str(getattr(pre.metadata.op, "value", pre.metadata.op))

    def on_output(self, line: str) -> None:
        self.text.append(line)

    def changed(self) -> dict[str, str]:
        return {name: op for name, op in self.ops.items() if op not in NOT_A_CHANGE}

    @property
    def output(self) -> str:
        return "\n".join(self.text)


def run(operation: Callable[..., Any], **kwargs: Any) -> tuple[Any, Steps]:
    """`stack.up`, `stack.preview`, ... with its steps recorded."""
    steps = Steps()
    result = operation(on_event=steps.on_event, on_output=steps.on_output, **kwargs)
    return result, steps
