"""Fixtures of the tests through the real Pulumi engine: the CLI (or a clean skip naming why there is none)
and a fresh engine state (file backend, PULUMI_HOME, work dir) per test."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from ops.engine import EngineSettings, PulumiCli, find_cli
from ops.engine.cli import missing_reason


@pytest.fixture(scope="session")
def pulumi_cli() -> PulumiCli:
    cli = find_cli()
    if cli is None:
        pytest.skip(missing_reason())
    return cli


@pytest.fixture
def engine(pulumi_cli: PulumiCli, tmp_path: Path) -> Callable[..., EngineSettings]:
    """engine(env={...}) -> settings for one stack's state under this test's tmp_path."""
    passphrase = secrets.token_urlsafe(16)

    def settings(env: dict[str, str] | None = None) -> EngineSettings:
        return EngineSettings(cli=pulumi_cli, state_dir=tmp_path / "engine", passphrase=passphrase, env=env or {})

    return settings
