"""The AWS sections of the stack config: defaults that keep every part off, and mistakes named with their fix."""

from __future__ import annotations

import pytest

from stackconfig import ConfigError, validate_config


def check(raw: dict) -> str:
    with pytest.raises(ConfigError) as error:
        validate_config(raw, stack_file="Pulumi.staging.yaml")
    return str(error.value)


def test_defaults_switch_every_aws_part_off():
    config = validate_config({}, stack_file="Pulumi.local.yaml")
    assert not config.aws.enabled
    for section in (config.frontend, config.storage_cdn, config.backup, config.alerts, config.ci_identity):
        assert section.enabled is False
    assert config.dns.zone_name is None
    assert config.backup.retention_days == 30 and config.backup.schedule == "cron(0 2 * * ? *)"


def test_a_part_without_aws_enabled_is_refused_with_the_fix():
    assert "frontend.enabled: needs aws.enabled: true" in check({"frontend": {"enabled": True}})


def test_a_hostname_needs_the_zone_that_holds_it():
    on = {"aws": {"enabled": True}}
    assert "frontend.hostname: needs dns.zoneName" in check(
        {**on, "frontend": {"enabled": True, "hostname": "app.example.com"}}
    )
    message = check(
        {**on, "dns": {"zoneName": "example.com"}, "storageCdn": {"enabled": True, "hostname": "cdn.other.org"}}
    )
    assert "storageCdn.hostname: cdn.other.org is not inside dns.zoneName (example.com)" in message


def test_enabled_backups_need_the_repository_the_job_runs():
    assert "sourceRepository (owner/name) is required" in check({"aws": {"enabled": True}, "backup": {"enabled": True}})


def test_old_versions_must_expire_after_they_are_moved_to_a_colder_class():
    message = check({"backup": {"noncurrentTransitionDays": 30, "noncurrentExpirationDays": 30}})
    assert "noncurrentExpirationDays must be greater than noncurrentTransitionDays" in message


def test_the_missing_backup_alarm_window_must_exceed_a_rate_schedule():
    message = check({"backup": {"schedule": "rate(2 days)", "maxHoursWithoutSuccess": 26}})
    assert "maxHoursWithoutSuccess (26) must exceed the schedule's period" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"backup": {"schedule": "0 2 * * *"}}, "backup.schedule: String should match pattern"),
        ({"backup": {"retentionDays": 0}}, "backup.retentionDays: Input should be greater than or equal to 1"),
        ({"aws": {"region": "Frankfurt"}}, "aws.region: String should match pattern"),
        ({"alerts": {"emails": ["not-an-address"]}}, "'not-an-address' is not an e-mail address"),
        ({"alerts": {"enabled": True, "emails": []}}, "at least one address is required"),
        (
            {"ciIdentity": {"githubRepository": "just-a-name"}},
            "ciIdentity.githubRepository: String should match pattern",
        ),
        ({"storageCdn": {"priceClass": "cheap"}}, "storageCdn.priceClass: Input should be"),
        ({"backup": {"noncurrentStorageClass": "STANDARD_IA"}}, "at least 30 for STANDARD_IA"),
    ],
)
def test_bad_aws_values_are_named(raw, expected):
    assert expected in check(raw)
