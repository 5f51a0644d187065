"""The statement splitter must cut files exactly where the Supabase CLI does."""

from __future__ import annotations

import pytest

from dashin_sdk.local.sqlsplit import split_statements


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select 1; select 2;", ["select 1", "select 2"]),
        ("select 1;\n\n  ;;\n", ["select 1"]),
        ("select 'a;b'; select 'it''s;'", ["select 'a;b'", "select 'it''s;'"]),
        ('select 1 as "x;y"; select 2', ['select 1 as "x;y"', "select 2"]),
        (
            "create function f() returns int language plpgsql as $fn$ begin return 1; end $fn$;",
            ["create function f() returns int language plpgsql as $fn$ begin return 1; end $fn$"],
        ),
        ("select $$a;b$$; select 2", ["select $$a;b$$", "select 2"]),
        ("-- a; comment\nselect 1; -- tail", ["-- a; comment\nselect 1", "-- tail"]),
        (
            "/* a; /* nested; */ b; */ select 1; select 2",
            ["/* a; /* nested; */ b; */ select 1", "select 2"],
        ),
        ("select (1; 2); select 3", ["select (1; 2)", "select 3"]),
        (
            "create function f() returns int language sql\nbegin atomic select 1; end; select 3",
            [
                "create function f() returns int language sql\nbegin atomic select 1; end",
                "select 3",
            ],
        ),
        # "atomic" glued to a word is not BEGIN ATOMIC (the CLI checks the byte before it).
        ("select 1 as is_atomic; select 2", ["select 1 as is_atomic", "select 2"]),
        # The CLI does not know E'' escapes: a backslash-escaped quote ends the literal, so
        # migrations must write '' instead, or db push breaks.
        ("select E'\\';'; select 2", ["select E'\\'", "'; select 2"]),
    ],
)
def test_split_matches_cli(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


def test_statements_are_trimmed_like_the_cli() -> None:
    # TrimRight(";") then TrimSpace: inner whitespace and comments are kept as written.
    assert split_statements("\n  select 1\n  ;\n") == ["select 1"]
