"""Secrets users store: none are. integrations.config refuses credential-named keys at any depth, through the
Data API's role, and the stack refuses ENCRYPTION_KEY, which nothing reads."""

from __future__ import annotations

import json

import psycopg
import pytest

from stackconfig import ConfigError, validate_config
from tests.lifecycle.objects import new_user
from tests.schema.sessions import acting_as

CREDENTIALS = [
    {"api_key": "sk-1"},
    {"accessToken": "t"},
    {"nested": {"client-secret": "s"}},
    {"accounts": [{"name": "a", "Password": "p"}]},
    {"key": "k"},
]
PLAIN = [{}, {"repository": "org/repo", "branch": "main"}, {"keyboard": "de", "tokens_per_minute": 5, "monkey": "ok"}]


@pytest.mark.parametrize("config", CREDENTIALS)
def test_a_credential_in_an_integrations_config_is_refused(lifecycle_db: str, config: dict):
    with psycopg.connect(lifecycle_db) as conn:
        user = new_user(conn)
        with acting_as(conn, "authenticated", user), pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "insert into public.integrations (user_id, provider, config) values (%s, 'github', %s)",
                (user, json.dumps(config)),
            )


@pytest.mark.parametrize("config", PLAIN)
def test_plain_settings_in_an_integrations_config_are_kept(lifecycle_db: str, config: dict):
    with psycopg.connect(lifecycle_db) as conn:
        user = new_user(conn)
        with acting_as(conn, "authenticated", user):
            conn.execute(
                "insert into public.integrations (user_id, provider, config) values (%s, 'github', %s)",
                (user, json.dumps(config)),
            )


def test_encryption_key_is_refused_because_nothing_reads_it():
    with pytest.raises(ConfigError) as error:
        validate_config(
            {"functionSecrets": {"ENCRYPTION_KEY": "0123456789abcdef"}},
            secret_keys={"functionSecrets"},
            stack_file="Pulumi.prod.yaml",
        )
    assert "ENCRYPTION_KEY: nothing in the platform reads it" in str(error.value)
    assert "0123456789abcdef" not in str(error.value)
