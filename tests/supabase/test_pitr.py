"""Point-in-time recovery: the PITR add-on as a stack option, through the real provider host against the
fake Management API (checked against Supabase's OpenAPI spec), and `ops restore-pitr`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from providers.supabase.pitr import PitrAddonProvider
from tests.ops.helpers import ops
from tests.supabase.helpers import checked, ready_project
from tests.supabase.test_program import run

PITR_TYPE = "pulumi-python:dynamic/supabase:PitrAddon"


def test_pitr_addon_lifecycle_with_drift(host, fake_supabase):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    provider = PitrAddonProvider()
    props = checked(host, provider, {"managementApiUrl": fake_supabase.url, "projectRef": ref, "retentionDays": 7})

    created = host.create(provider, props)
    assert project.pitr_variant == "pitr_7"
    assert host.diff(provider, created.id, created.outs, props).changes is False
    assert host.read(provider, created.id, created.outs).outs["retentionDays"] == 7

    longer = {**props, "retentionDays": 28}
    assert host.diff(provider, created.id, created.outs, longer).changes is True
    updated = host.update(provider, created.id, created.outs, longer)
    assert project.pitr_variant == "pitr_28" and updated.outs["retentionDays"] == 28

    project.pitr_variant = "pitr_14"  # changed in the dashboard
    assert host.read(provider, created.id, updated.outs).outs["retentionDays"] == 14
    project.pitr_variant = ""  # removed in the dashboard: gone, the next up applies it again
    assert host.read(provider, created.id, updated.outs).id in (None, "")

    project.pitr_variant = "pitr_28"
    host.delete(provider, created.id, updated.outs)
    assert project.pitr_variant == ""


def test_check_refuses_a_retention_supabase_does_not_offer(host, fake_supabase):
    result = host.check(
        PitrAddonProvider(),
        {},
        {"managementApiUrl": fake_supabase.url, "projectRef": "abcdefghijklmnopqrst", "retentionDays": 10},
    )
    assert [prop for prop, _ in result.failures] == ["retentionDays"]
    assert "7, 14 or 28" in result.failures[0][1]


def test_prod_turns_point_in_time_recovery_on_and_staging_does_not():
    [addon] = run("prod").of_type(PITR_TYPE)
    assert int(addon.inputs["retentionDays"]) == 7
    assert run("staging").of_type(PITR_TYPE) == []


def restore_pitr(fake, ref: str, to: str, *extra: str) -> int:
    return ops("restore-pitr", "--project-ref", ref, "--to", to, "--management-api-url", fake.url, *extra)


def test_restore_pitr_asks_supabase_for_that_second_once(fake_supabase, client_environment, capsys):
    ref = ready_project(fake_supabase)
    fake_supabase.projects[ref].pitr_variant = "pitr_7"
    moment = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    assert restore_pitr(fake_supabase, ref, moment.isoformat().replace("+00:00", "Z"), "--confirm", ref) == 0
    assert fake_supabase.projects[ref].pitr_restores == [int(moment.timestamp())]
    assert "started" in capsys.readouterr().out


def test_restore_pitr_refuses_what_it_cannot_or_should_not_do(fake_supabase, client_environment, capsys):
    ref = ready_project(fake_supabase)
    project = fake_supabase.projects[ref]
    hours_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert restore_pitr(fake_supabase, ref, hours_ago) == 2, "no --confirm"
    assert restore_pitr(fake_supabase, ref, "2026-12-01T08:30:00", "--confirm", ref) == 2, "no time zone"
    assert restore_pitr(fake_supabase, ref, hours_ago, "--confirm", ref) == 1
    assert "no point-in-time recovery add-on" in capsys.readouterr().err
    project.pitr_variant = "pitr_7"
    ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    assert restore_pitr(fake_supabase, ref, ten_days_ago, "--confirm", ref) == 1
    assert "older than the add-on's 7-day window" in capsys.readouterr().err
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert restore_pitr(fake_supabase, ref, tomorrow, "--confirm", ref) == 1
    assert "in the future" in capsys.readouterr().err
    assert project.pitr_restores == [], "nothing was asked of Supabase"
