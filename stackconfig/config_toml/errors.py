"""The one error the config.toml reader raises: the key, and what to do about it."""

from __future__ import annotations


class ConfigTomlError(ValueError):
    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"config.toml {key}: {problem}")
        self.key = key
