"""The one check every deletion by stored key passes through before a key is sent to Storage.

Storage resolves '.' and '..' segments and percent-escapes in the keys it is given, so a key read from a row or
from storage.objects that is not canonical could name another object than the one listed. Such a key is never
sent: the caller reports it for an operator instead. The rule is the canonical-object-key rule of the schema
(`<owner id>/<segment>[/<segment>...]`, no empty, '.' or '..' segment, no backslash, no percent-escape, no
control character, at most 1024 characters); when the shared validator (ops/object_keys.py) is on main this
function becomes a call to it.
"""

from __future__ import annotations

import re
import uuid

MAX_KEY_LENGTH = 1024
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def object_key_problem(key: str, owner: uuid.UUID | None = None) -> str | None:
    """None when `key` is canonical (and in `owner`'s folder, when one is given), else what is wrong with it."""
    if not key:
        return "is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"is longer than {MAX_KEY_LENGTH} characters"
    if "\\" in key:
        return "holds a backslash"
    if _PERCENT_ESCAPE.search(key):
        return "holds a percent-escape"
    if _CONTROL.search(key):
        return "holds a control character"
    segments = key.split("/")
    if any(segment in (".", "..") for segment in segments):
        return 'holds a "." or ".." segment'
    if any(segment == "" for segment in segments):
        return "holds an empty segment"
    if owner is not None and (len(segments) < 2 or segments[0] != str(owner)):
        return "is not inside its owner's folder"
    return None


def is_deletable_key(key: str, owner: uuid.UUID | None = None) -> bool:
    return object_key_problem(key, owner) is None
