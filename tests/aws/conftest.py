"""Each stack's AWS program is run once per session: the runs are plain records, cheap to share."""

from __future__ import annotations

import pytest

from ops.engineless.program import ProgramRun
from tests.aws.aws_program import run_aws_program


@pytest.fixture(scope="session")
def staging() -> ProgramRun:
    return run_aws_program("staging")


@pytest.fixture(scope="session")
def prod() -> ProgramRun:
    return run_aws_program("prod", with_custom_domain=True)


@pytest.fixture(params=["staging", "prod"])
def deployed(request: pytest.FixtureRequest) -> ProgramRun:
    """Both stacks that deploy to AWS: for properties every one of them must have."""
    return request.getfixturevalue(request.param)
