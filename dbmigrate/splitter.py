"""Splitting a migration file into statements exactly as the Supabase CLI does (its `pkg/parser`).

The CLI stores the pieces it sends in its history row (`statements`), so ours must be the same bytes: each
piece keeps its leading comments, a trailing comment-only piece is a statement of its own, and the CLI's
quirks are kept (a `;` inside parentheses or a BEGIN ATOMIC body does not split; `/*/` closes a block
comment; a quoted string has no backslash escapes; `;` after a lone `-`, `/` or `$tag` inside parentheses
leaves that state open). The CLI feeds every byte to a state machine; doing the same in Python is slow, so
the loop below jumps with `re`/`bytes.find` over bytes that cannot change the state, which keeps it linear.

State, as in the CLI: a stack of open parenthesis / BEGIN ATOMIC bodies (each closed by `)` or `END`,
checked only when the innermost state is "ready") and the innermost state: ready, after one `-`, in a
block comment of some depth (0: just after a `/`), in a quote, in a dollar quote or line comment (both
end at a delimiter), reading a `$tag`, or after a backslash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_READY, _DASH, _BLOCK, _QUOTE, _DOLLAR, _TAG, _ESCAPE = range(7)

# What the ready state may skip in one go: bytes that change nothing, and whole quoted strings (after a
# closing quote the CLI reads on as if ready). Inside parentheses `(` changes nothing either, and inside a
# BEGIN ATOMIC body another BEGIN ATOMIC changes nothing: one `)` (one `END`) closes every directly nested
# level of its kind at once in the CLI, so nested levels of one kind are kept as one.
_QUOTED = rb"|'[^']*'|\"[^\"]*\""
_NOT_ATOMIC_C = rb"|[cC](?<![Aa][Tt][Oo][Mm][Ii][cC])"
_SKIP_AT_TOP = re.compile(rb"(?:[^$'\"\-/\\;(cC]+" + _QUOTED + _NOT_ATOMIC_C + rb")*")
_SKIP_IN_PARENS = re.compile(rb"(?:[^$'\"\-/\\;()cC]+" + _QUOTED + _NOT_ATOMIC_C + rb"|\()*")
_SKIP_IN_ATOMIC = re.compile(rb"(?:[^$'\"\-/\\;(dD]+" + _QUOTED + rb"|[dD](?<![Ee][Nn][dD]))*")
_BLOCK_EDGE = re.compile(rb"/\*|\*/")
_TAG_CHARS = re.compile(rb"[A-Za-z0-9_]*")

# Go's unicode.IsSpace, which the CLI trims with (Python's isspace also counts \x1c-\x1f).
GO_SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)


def split_cli(data: bytes) -> list[tuple[int, str]]:
    """(byte offset of the piece in `data`, piece) for every statement the CLI would store, in order.

    `data` is a whole file, valid UTF-8 without NUL bytes (checked before). A piece is the CLI's token with
    trailing `;` and surrounding whitespace removed; empty pieces are dropped, as the CLI drops them.
    """
    pieces = []
    for start, end in _token_spans(data):
        text = data[start:end].decode("utf-8").rstrip(";")
        stripped = text.lstrip(GO_SPACES)
        piece = stripped.rstrip(GO_SPACES)
        if piece:
            pieces.append((start + len(text[: len(text) - len(stripped)].encode("utf-8")), piece))
    return pieces


def _token_spans(buf: bytes) -> Iterator[tuple[int, int]]:
    """The CLI tokenizer's tokens as (start, end) byte offsets: each ends after a top-level `;`, or at EOF."""
    n = len(buf)
    tok = i = 0
    stack: list[bytes] = []  # delimiters of the open bodies, innermost last: b")" or b"END"
    leaf, depth, quote, delimiter, tag_start = _READY, 0, b"", b"", 0
    while i < n:
        if leaf == _READY:
            pattern = _SKIP_AT_TOP if not stack else _SKIP_IN_PARENS if stack[-1] == b")" else _SKIP_IN_ATOMIC
            i = _match_end(pattern, buf, i)
            if i >= n:
                break
            c = buf[i]
        elif leaf == _QUOTE:
            # A closing quote acts as "ready" from the next byte on: a doubled quote re-enters the string,
            # anything else is read as in the ready state, which is what the CLI's escape flag amounts to.
            found = buf.find(quote, i)
            if found < 0:
                break
            i, leaf = found + 1, _READY
            continue
        elif leaf == _DOLLAR:
            # The delimiter may overlap what opened it (`$$$` closes at once), as in the CLI's byte window.
            found = buf.find(delimiter, max(i + 1 - len(delimiter), tok))
            if found < 0:
                break
            i, leaf = found + len(delimiter), _READY  # ends in `$` or a newline: never closes a body
            continue
        elif leaf == _BLOCK and depth > 0:
            match = _BLOCK_EDGE.search(buf, max(i - 1, tok))
            if match is None:
                break
            i = match.start() + 1
            if match.group() == b"/*":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    leaf = _READY
            i += 1
            continue
        elif leaf == _TAG:
            i = _skip_tag_chars(buf, i)
            if i >= n:
                break
            c = buf[i]
            if c == 0x24:  # `$`: the tag is complete
                leaf, delimiter = _DOLLAR, buf[tag_start : i + 1]
                i += 1
                continue
        else:
            c = buf[i]
            if leaf == _ESCAPE:
                leaf = _READY
                _close_bodies(buf, i, stack)
                i += 1
                continue
            if leaf == _DASH and c == 0x2D:
                leaf, delimiter = _DOLLAR, b"\n"
                i += 1
                continue
            if leaf == _BLOCK and buf[i - 1 : i + 1] == b"/*":
                depth = 1
                i += 1
                continue
        # The ready state reads byte c (directly, or on leaving -, / or $tag that c did not continue).
        before = leaf
        if c == 0x3B:  # `;`
            if not stack:
                yield tok, i + 1
                tok, leaf = i + 1, _READY
            elif before == _READY:
                _close_bodies(buf, i, stack)
            # Inside a body the CLI keeps the state it had (`-`, `/` or `$tag`) when `;` ends nothing.
            i += 1
            continue
        leaf = _READY
        if c == 0x24:
            leaf, tag_start = _TAG, i
        elif c == 0x27 or c == 0x22:
            leaf, quote = _QUOTE, bytes((c,))
        elif c == 0x2D:
            leaf = _DASH
        elif c == 0x2F:
            leaf, depth = _BLOCK, 0
        elif c == 0x5C:
            leaf = _ESCAPE
        elif c == 0x28:
            if not stack or stack[-1] != b")":
                stack.append(b")")
        elif (c == 0x63 or c == 0x43) and _is_begin_atomic(buf, tok, i + 1):
            if not stack or stack[-1] != b"END":
                stack.append(b"END")
        elif stack:
            _close_bodies(buf, i, stack)
        i += 1
    if tok < n:
        yield tok, n


def _match_end(pattern: re.Pattern[bytes], buf: bytes, i: int) -> int:
    """Where `pattern` stops matching from `i`; every skip pattern also matches the empty string, so it never fails."""
    matched = pattern.match(buf, i)
    assert matched is not None
    return matched.end()


def _skip_tag_chars(buf: bytes, i: int) -> int:
    """Past the letters, digits and `_` of a `$tag` (Unicode ones too: the CLI reads whole characters)."""
    while True:
        i = _match_end(_TAG_CHARS, buf, i)
        if i >= len(buf) or buf[i] < 0x80:
            return i
        rune = _rune_at(buf, i)
        if not (rune.isalpha() or rune.isdecimal()):
            return i
        i += len(rune.encode("utf-8"))


def _rune_at(buf: bytes, i: int) -> str:
    """The character starting at byte i (valid UTF-8: its lead byte tells its length)."""
    lead = buf[i]
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return buf[i : i + size].decode("utf-8", errors="replace")[:1]


def _close_bodies(buf: bytes, i: int, stack: list[bytes]) -> None:
    """After byte i left the innermost state ready: close every body whose delimiter ends at i."""
    while stack:
        delimiter = stack[-1]
        if buf[i + 1 - len(delimiter) : i + 1].upper() != delimiter:
            return
        stack.pop()


def _is_begin_atomic(buf: bytes, tok: int, end: int) -> bool:
    """The CLI's test on reading `c`: the token so far ends in `BEGIN <spaces> ATOMIC`, both whole words."""
    offset = end - 6
    if offset < tok or buf[offset:end].upper() != b"ATOMIC":
        return False
    if offset > tok and _is_identifier(_last_rune(buf, tok, offset)):
        return False
    prefix_end = offset
    while prefix_end > tok:
        rune = _last_rune(buf, tok, prefix_end)
        if rune not in GO_SPACES:
            break
        prefix_end -= len(rune.encode("utf-8"))
    begin = prefix_end - 5
    if begin < tok or buf[begin:prefix_end].upper() != b"BEGIN":
        return False
    return begin == tok or not _is_identifier(_last_rune(buf, tok, begin))


def _last_rune(buf: bytes, tok: int, end: int) -> str:
    """The character ending at byte `end` (the file is valid UTF-8, checked before splitting)."""
    if buf[end - 1] < 0x80:
        return chr(buf[end - 1])
    start = end - 1
    while start > max(tok, end - 4) and 0x80 <= buf[start] < 0xC0:
        start -= 1
    return buf[start:end].decode("utf-8", errors="replace")[-1:]


def _is_identifier(rune: str) -> bool:
    # Go's unicode.IsLetter and IsDigit are the L* and Nd categories: Python's isalpha and isdecimal.
    return rune.isalpha() or rune.isdecimal() or rune in "_$"
