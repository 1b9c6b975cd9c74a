"""Shared pydantic settings for every config section: strict about unknown keys, immutable, camelCase in YAML."""

from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

SECTION_CONFIG = ConfigDict(
    extra="forbid",
    frozen=True,
    alias_generator=to_camel,
    populate_by_name=True,
    # Lax on purpose: the engine hands scalar config values over as text ("true", "5"), and pydantic's lax mode
    # turns exactly those into booleans and numbers while still refusing "yes please" or "5 minutes". Fields
    # where text must not pass set strict=True themselves (a bucket's fileSizeLimit).
    strict=False,
    str_strip_whitespace=True,
)
