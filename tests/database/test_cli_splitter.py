"""Our splitter gives the Supabase CLI's pieces (the real CLI's rows are compared in test_supabase_cli.py)."""

from __future__ import annotations

import time

import pytest

from dbmigrate.splitter import split_cli


def pieces(sql: str) -> list[str]:
    return [piece for _, piece in split_cli(sql.encode())]


QUIRKS = [
    # Leading comments stay with their statement; a trailing comment is a statement of its own.
    (
        "-- lead\ncreate table a (id int); -- tail\n/* block */ select 1;\n-- trailing only\n",
        ["-- lead\ncreate table a (id int)", "-- tail\n/* block */ select 1", "-- trailing only"],
    ),
    ("select (1; 2); select 3", ["select (1; 2)", "select 3"]),
    (
        "create function f() returns int language sql\nbegin atomic select 1; select 2; end; select 3;",
        ["create function f() returns int language sql\nbegin atomic select 1; select 2; end", "select 3"],
    ),
    ("do $x$ begin perform 1; end $x$; select 2", ["do $x$ begin perform 1; end $x$", "select 2"]),
    ("select 'a;''b'; select \"c;d\";", ["select 'a;''b'", 'select "c;d"']),
    ("select 1 -- a; comment\n; select 2", ["select 1 -- a; comment", "select 2"]),
    # The CLI's quirks, kept: `/*/` closes a block comment, a `)` closes every nested parenthesis at once,
    # a Unicode letter continues a $tag, and a backslash escapes the next character outside quotes.
    ("/*/ ; select 1", ["/*/", "select 1"]),
    ("select ((1); 2); select 3", ["select ((1)", "2)", "select 3"]),
    ("select $\u00e9$;x", ["select $\u00e9$;x"]),
    ("select 1 \\; select 2", ["select 1 \\; select 2"]),
    # Trailing `;` go, then Go's whitespace (which includes NBSP and the ideographic space).
    ("select 1\u00a0;;\u3000select 2;;", ["select 1", "select 2"]),
    ("  ;\n;  ", []),
]


@pytest.mark.parametrize(("sql", "expected"), QUIRKS)
def test_pieces_are_the_clis(sql, expected):
    assert pieces(sql) == expected


def test_offsets_point_at_each_piece_in_the_file_bytes():
    data = "select '\u00e9';\n  -- c\nselect 2;".encode()
    assert [(offset, data[offset : offset + 6]) for offset, _ in split_cli(data)] == [(0, b"select"), (15, b"-- c\ns")]


def test_splitting_is_linear_in_the_file_length():
    # A ratio in one process (CPU time, best of 3), never an absolute time: 8x the bytes must cost about 8x,
    # where the splitter this replaced took ~64x.
    unit = (
        b"-- a comment; with a semicolon\ncreate table t (a int, b text default 'x;y');\n"
        b"create function f() returns int language plpgsql as $$ begin return 1; end $$;\n"
    )
    small, large = unit * 2_000, unit * 16_000
    timings = [min(_cpu_seconds(data) for _ in range(3)) for data in (small, large)]
    assert timings[1] / timings[0] < 24, timings


def _cpu_seconds(data: bytes) -> float:
    started = time.process_time()
    split_cli(data)
    return time.process_time() - started
