"""The plain `pulumi` CLI as users type it: a CLI with a Python language host, or a clean skip naming why not."""

from __future__ import annotations

import pytest

from ops.engine import PulumiCli, find_cli
from ops.engine.cli import missing_reason
from ops.engine.plain import language_host, missing_host_reason


@pytest.fixture(scope="session")
def plain_cli() -> PulumiCli:
    cli = find_cli()
    if cli is None:
        pytest.skip(missing_reason())
    if language_host(cli) is None:
        pytest.skip(missing_host_reason())
    return cli
