"""What the engine requires of Pulumi.yaml, checked without a CLI (found by running the program under it)."""

from __future__ import annotations

import pytest

from stackconfig.errors import ConfigError
from stackconfig.loader import declared_keys, validate_config


def test_no_key_declares_a_null_default_which_the_engine_counts_as_missing():
    # `default: null` is no default to the engine: `pulumi up` stops with "Stack 'local' is missing
    # configuration values ..." before the program runs. An optional key declares no default at all.
    nulls = [key for key, spec in declared_keys().items() if "default" in spec and spec["default"] is None]
    assert not nulls, f"{', '.join(nulls)}: drop `default: null` from Pulumi.yaml (the model's default is None)"


def test_every_key_has_a_default_so_a_stack_may_leave_it_unset():
    # The engine counts a declared key without a default as required, secrets included.
    missing = [key for key, spec in declared_keys().items() if "default" not in spec]
    assert not missing, f'{", ".join(missing)}: give each a default in Pulumi.yaml (an optional secret: "")'


def test_unset_secrets_arrive_as_their_plain_defaults_and_mean_unset():
    # What the engine passes for secrets no `config set --secret` gave a value: Pulumi.yaml's defaults, not secret.
    config = validate_config(
        {"supabaseAccessToken": "", "databasePassword": "", "functionSecrets": {}, "authSecrets": {}},
        stack_file="Pulumi.local.yaml",
    )
    assert config.supabase_access_token is None and config.database_password is None
    assert config.function_secrets == {}


def test_a_plain_value_for_a_secret_key_is_still_refused():
    with pytest.raises(ConfigError, match="databasePassword: must be a secret"):
        validate_config({"databasePassword": "in-plain-text"}, stack_file="Pulumi.staging.yaml")
