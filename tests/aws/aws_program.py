"""Runs the AWS half of the program (components.aws_platform.build_aws_platform, as __main__.py calls it)
under the same recording mocks as ops.engineless.program.run_program, with a stack file's config and fixed
Supabase inputs standing in for the Supabase project's outputs."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.aws_platform import SupabaseInputs, build_aws_platform
from components.backup_job import StorageS3Access
from components.dns import SupabaseDomainRecords, TxtRecord
from ops.engineless.program import (
    PROJECT_NAME,
    ProgramRun,
    RecordingMonitor,
    _ListHandler,
    _stack_outputs,
    stack_config,
)
from stackconfig import load_stack_config
from tests.aws.aws_mocks import aws_mocks

SUPABASE_REF = "abcdefghijklmnopqrst"
SUPABASE_URL = f"https://{SUPABASE_REF}.supabase.co"
DATABASE_URL = (
    f"postgresql://postgres.{SUPABASE_REF}:s3cret-password@aws-0-eu-central-1.pooler.supabase.com:5432/postgres"
)
HEALTH_CHECK_URL = f"{SUPABASE_URL}/functions/v1/health-check"
ANON_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.anon-signature"
SERVICE_ROLE_KEY = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.service-role-signature"


def supabase_inputs(with_custom_domain: bool = False) -> SupabaseInputs:
    custom_domain = None
    if with_custom_domain:
        custom_domain = SupabaseDomainRecords(
            hostname="api.example.com",
            cname_target=f"{SUPABASE_REF}.supabase.co",
            txt_records=[
                TxtRecord(name="_cf-custom-hostname.api.example.com", value="8c9f7a1e-ownership"),
                TxtRecord(name="_acme-challenge.api.example.com", value="acme-challenge-value"),
            ],
        )
    return SupabaseInputs(
        url=SUPABASE_URL,
        database_url=pulumi.Output.secret(DATABASE_URL),
        health_check_url=HEALTH_CHECK_URL,
        custom_domain=custom_domain,
        metrics_url=f"{SUPABASE_URL}/customer/v1/privileged/metrics",
        service_role_key=pulumi.Output.secret(SERVICE_ROLE_KEY),
        storage_s3=StorageS3Access(
            endpoint_url=f"{SUPABASE_URL}/storage/v1/s3",
            region="eu-central-1",
            access_key_id=SUPABASE_REF,
            secret_access_key=ANON_KEY,
            session_token=pulumi.Output.secret(SERVICE_ROLE_KEY),
        ),
    )


def run_aws_program(
    stack: str, config_overrides: dict[str, Any] | None = None, *, with_custom_domain: bool = False
) -> ProgramRun:
    config, secret_keys = stack_config(stack, config_overrides)
    monitor = RecordingMonitor(aws_mocks())
    log_records: list[str] = []
    handler = _ListHandler(log_records)
    logging.getLogger().addHandler(handler)
    settings.reset_options(project=PROJECT_NAME, stack=stack, preview=False)
    set_all_config(config, secret_keys)
    pulumi_mocks.set_mocks(
        monitor.mocks,
        project=PROJECT_NAME,
        stack=stack,
        preview=False,
        monitor=monitor,
        logger=logging.getLogger("pulumi-program"),
    )

    def program() -> None:
        build_aws_platform(load_stack_config(), supabase_inputs(with_custom_domain)).export()

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _sync_await(run_pulumi_func(program))
            outputs, secret_outputs = _stack_outputs()
    finally:
        logging.getLogger().removeHandler(handler)
    messages = log_records + [f"{w.category.__name__}: {w.message}" for w in caught]
    return ProgramRun(stack, monitor.registered, outputs, secret_outputs, messages)
