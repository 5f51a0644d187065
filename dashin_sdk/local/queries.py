"""Load the named SQL queries of ``sql/queries.sql`` (SQL stays in .sql files)."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import LiteralString

_NAME_LINE = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


def trusted(sql: str) -> LiteralString:
    """Mark SQL read from the project's own files as safe to send as a query.

    psycopg's types accept only literal strings, to keep user input out of query text. The
    files we read (our queries, platform.sql, migrations, the seed) are code, not input.
    """
    # mypy treats LiteralString as plain str, so no cast is needed (nor accepted).
    return sql


@cache
def _all_queries() -> dict[str, str]:
    text = (Path(__file__).parent / "sql" / "queries.sql").read_text("utf-8")
    parts = _NAME_LINE.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def query(name: str) -> LiteralString:
    """The SQL of the query called ``name`` (KeyError if there is none)."""
    return trusted(_all_queries()[name])
