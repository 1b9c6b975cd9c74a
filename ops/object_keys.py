"""Canonical Storage object keys, the rule the operator CLI holds every key it copies by.

The same rule as the database's private.object_key_problem (migration 20261207154841) and the functions'
functions/_shared/object_key.ts: '<owner id>/<segment>[/<segment>...]' with no empty, '.' or '..' segment, no
backslash, no percent-escape, no control character, at most 1024 characters. Storage resolves dot segments and
decodes escapes, so a key like '<own id>/../<other id>/x' written back by a restore would land in another user's
folder. A backup or restore does not know an object's owner: it holds keys to the structural rule, so no key
can climb out of the folder it names; callers that know the owner pass it.
"""

from __future__ import annotations

import re

MAX_OBJECT_KEY_LENGTH = 1024
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ObjectKeyError(ValueError):
    """A key that breaks the rule; the message names the key, what is wrong and what happens to it."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"object key {key!r} {problem}; only canonical keys ('<user id>/<name>...') are used")
        self.key = key
        self.problem = problem


def object_key_problem(key: object, owner: str | None = None) -> str | None:
    """What is wrong with `key` (inside `owner`'s folder, when given), or None when canonical."""
    if not isinstance(key, str) or key == "":
        return "is missing"
    if len(key) > MAX_OBJECT_KEY_LENGTH:
        return f"is longer than {MAX_OBJECT_KEY_LENGTH} characters"
    if "\\" in key:
        return "holds a backslash"
    if _PERCENT_ESCAPE.search(key):
        return "holds a percent-escape"
    if _CONTROL.search(key):
        return "holds a control character"
    segments = key.split("/")
    if any(s in {".", ".."} for s in segments):
        return 'holds a "." or ".." segment'
    if any(s == "" for s in segments):
        return "holds an empty segment"
    if owner is not None and segments[0] != owner:
        return "does not start with its owner's id"
    if owner is not None and len(segments) < 2:
        return "names no object inside its owner's folder"
    return None


def canonical_object_key(key: str, owner: str | None = None) -> str:
    """`key` itself when canonical; ObjectKeyError otherwise."""
    problem = object_key_problem(key, owner)
    if problem is not None:
        raise ObjectKeyError(key, problem)
    return key
