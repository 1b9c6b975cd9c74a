"""Typed, validated stack configuration, read once by __main__.py."""

from stackconfig.errors import ConfigError
from stackconfig.loader import load_stack_config, validate_config
from stackconfig.model import StackConfig

__all__ = ["ConfigError", "StackConfig", "load_stack_config", "validate_config"]
