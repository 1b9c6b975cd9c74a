"""The program schedules exactly the functions whose function.json has a schedule, with secrets kept secret."""

from __future__ import annotations

import pytest

from components.function_schedules import scheduled_functions
from tests.supabase.test_program import POOLER_URL, SERVICE_KEY, run

SCHEDULE_TYPE = "pulumi-python:dynamic/database:FunctionSchedule"


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_each_scheduled_function_gets_one_schedule_with_secret_key_and_connection(stack):
    program = run(stack)
    schedules = {r.inputs["slug"]: r for r in program.of_type(SCHEDULE_TYPE)}
    assert set(schedules) == set(scheduled_functions("functions"))
    worker = schedules["document-processor"]
    assert worker.inputs["schedule"] == "*/5 * * * *"
    assert worker.inputs["functionUrl"] == "https://abcdefghijklmnopqrst.supabase.co/functions/v1/document-processor"
    assert {"key", "connection", "keyDigest"} <= set(worker.secret_inputs)
    assert worker.inputs["key"] == SERVICE_KEY and worker.inputs["connection"] == POOLER_URL


def test_the_local_stack_has_no_schedules():
    from tests.supabase.test_program import run_program  # the local stack needs no Supabase mocks

    program = run_program("local", {})
    assert not program.of_type(SCHEDULE_TYPE)
