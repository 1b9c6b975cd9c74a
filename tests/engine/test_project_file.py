"""What the engine requires of Pulumi.yaml, checked without a CLI (found by running the program under it)."""

from __future__ import annotations

from stackconfig.loader import declared_keys


def test_no_key_declares_a_null_default_which_the_engine_counts_as_missing():
    # `default: null` is no default to the engine: `pulumi up` stops with "Stack 'local' is missing
    # configuration values ..." before the program runs. An optional key declares no default at all.
    nulls = [key for key, spec in declared_keys().items() if "default" in spec and spec["default"] is None]
    assert not nulls, f"{', '.join(nulls)}: drop `default: null` from Pulumi.yaml (the model's default is None)"
