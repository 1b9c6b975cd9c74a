"""The program under the real Pulumi engine, through the Automation API (`pulumi.automation`).

`find_cli()` locates a Pulumi CLI (`make install` builds one into .tools/bin when none is on PATH);
`open_stack()` gives a stack of this project on a file backend with the passphrase secrets provider,
running __main__.py as an inline program. The tests, `make local` and benchmarks/engine.py go through it.
"""

from ops.engine.cli import PulumiCli, find_cli
from ops.engine.workspace import EngineSettings, open_stack

__all__ = ["EngineSettings", "PulumiCli", "find_cli", "open_stack"]
