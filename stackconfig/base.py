"""Shared pydantic settings for every config section: strict about unknown keys, immutable, camelCase in YAML."""

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

SECTION_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    alias_generator=to_camel,
    populate_by_name=True,
    # "true" is not a boolean and "5" is not a number: a typo in a stack file must not pass quietly.
    strict=False,
    str_strip_whitespace=True,
)
