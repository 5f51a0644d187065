"""Compile :mod:`dashin_sdk.query` objects to PostgREST requests (pure: no I/O, no httpx).

The HTTP backend speaks PostgREST directly instead of going through postgrest-py because
postgrest-py's ``APIError`` drops the HTTP status and headers, and the SDK needs the status
(401/403/404/409/429) to type errors and ``Retry-After`` to back off.

PostgREST conventions used here::

    GET    /rest/v1/leads?select=a,b&status=eq.new&or=(email.ilike.*x*,company.ilike.*x*)
                         &order=created_at.desc.nullslast,id.desc&offset=40&limit=20
           Prefer: count=exact                       (total comes back in Content-Range)
    POST   /rest/v1/leads?select=a,b                 JSON array body
    PATCH  /rest/v1/leads?id=eq.<uuid>&select=a,b    JSON object body
    DELETE /rest/v1/leads?id=eq.<uuid>&select=id
           Prefer: return=representation              (mutations return the changed rows)
    POST   /rest/v1/rpc/<function>                   JSON object of named arguments

Values inside ``or=(...)`` and ``in.(...)`` lists are double-quoted (with ``\\`` and ``"``
backslash-escaped) when they contain a character PostgREST's grammar reserves. Ordering mirrors
``sql_compiler``: descending is ``desc nulls last``, ascending is Postgres' default ``asc``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from dashin_sdk.query import AnyOf, Condition, Delete, Filter, Insert, Order, Rpc, Select, Update

REST_PREFIX = "/rest/v1"
_RESERVED = frozenset(',.:()"\\ ')


@dataclass(frozen=True)
class HttpRequest:
    """One PostgREST call: ``params`` keeps order and repeats (``a=gte.1&a=lte.9``)."""

    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None  # JSON; ``None`` sends no body


def to_json(value: Any) -> bytes:
    """JSON for a request body: UUIDs, enums, dates and decimals as PostgREST reads them."""
    return json.dumps(value, default=_json_default, separators=(",", ":")).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def literal(value: Any) -> str:
    """A filter value as PostgREST parses it (``true``, ``2025-01-01T00:00:00+00:00``, ...)."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def quoted(text: str) -> str:
    """``text`` as an element of an ``or=(...)`` / ``in.(...)`` list."""
    if text and not _RESERVED.intersection(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def like_pattern(pattern: str) -> str:
    """The neutral ``%`` pattern of :func:`dashin_sdk.query.search` in PostgREST's syntax.

    PostgREST turns every ``*`` into ``%`` and passes the rest to ``ilike`` untouched, so
    unescaped ``%`` becomes ``*`` while ``\\%``, ``\\_`` and ``\\\\`` stay as they are. A literal
    ``*`` cannot be expressed; it becomes ``_`` (any one character), which still matches it.
    """
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            out.append(char + next(chars, ""))
        elif char == "%":
            out.append("*")
        elif char == "*":
            out.append("_")
        else:
            out.append(char)
    return "".join(out)


def _operand(flt: Filter, *, nested: bool) -> str:
    """``op.value`` of one filter; ``nested`` when it sits inside ``or=(...)``."""
    if flt.op == "is":
        if flt.value is None:
            return "is.null"
        return f"is.{'true' if flt.value else 'false'}"
    if flt.op == "in":
        return "in.(" + ",".join(quoted(literal(item)) for item in flt.value) + ")"
    text = like_pattern(literal(flt.value)) if flt.op == "ilike" else literal(flt.value)
    return f"{flt.op}.{quoted(text) if nested else text}"


def _conditions(conditions: Sequence[Condition]) -> list[tuple[str, str]]:
    params: list[tuple[str, str]] = []
    for condition in conditions:
        if isinstance(condition, AnyOf):
            inner = ",".join(
                f"{flt.column}.{_operand(flt, nested=True)}" for flt in condition.filters
            )
            params.append(("or", f"({inner})"))
        else:
            params.append((condition.column, _operand(condition, nested=False)))
    return params


def _order(order: Sequence[Order]) -> list[tuple[str, str]]:
    if not order:
        return []
    parts = [f"{o.column}.desc.nullslast" if o.descending else f"{o.column}.asc" for o in order]
    return [("order", ",".join(parts))]


def _returning(columns: Sequence[str]) -> tuple[list[tuple[str, str]], str]:
    """The ``select`` parameter and ``Prefer: return=...`` of a mutation."""
    if not columns:
        return [], "return=minimal"
    return [("select", ",".join(columns))], "return=representation"


def select(query: Select) -> HttpRequest:
    params = [("select", ",".join(query.columns)), *_conditions(query.where)]
    params.extend(_order(query.order))
    if query.offset:
        params.append(("offset", str(query.offset)))
    if query.limit is not None:
        params.append(("limit", str(query.limit)))
    headers = {"Prefer": "count=exact"} if query.count else {}
    return HttpRequest("GET", f"{REST_PREFIX}/{query.table}", params, headers)


def insert(query: Insert) -> HttpRequest:
    params, prefer = _returning(query.returning)
    columns = query.columns
    if any(len(row) != len(columns) for row in query.rows):
        # Rows with different keys: name every column and let missing ones take their
        # defaults (PostgREST would otherwise insert NULL), as the SQL compiler does.
        params.append(("columns", ",".join(columns)))
        prefer += ",missing=default"
    body = [dict(row) for row in query.rows]
    return HttpRequest("POST", f"{REST_PREFIX}/{query.table}", params, {"Prefer": prefer}, body)


def update(query: Update) -> HttpRequest:
    returning, prefer = _returning(query.returning)
    params = [*_conditions(query.where), *returning]
    return HttpRequest(
        "PATCH", f"{REST_PREFIX}/{query.table}", params, {"Prefer": prefer}, dict(query.values)
    )


def delete(query: Delete) -> HttpRequest:
    returning, prefer = _returning(query.returning)
    params = [*_conditions(query.where), *returning]
    return HttpRequest("DELETE", f"{REST_PREFIX}/{query.table}", params, {"Prefer": prefer})


def rpc(query: Rpc) -> HttpRequest:
    return HttpRequest("POST", f"{REST_PREFIX}/rpc/{query.function}", body=dict(query.args))


def rpc_result(query: Rpc, payload: Any) -> Any:
    """The function's result in the shape the direct backend returns.

    ``rows``: a list of objects. ``object``: one object; PostgREST returns a composite as an
    object, but a one-element array (a ``setof`` or table function) is accepted too.
    ``scalar``: the JSON value itself.
    """
    if query.shape == "rows":
        if payload is None:
            return []
        return payload if isinstance(payload, list) else [payload]
    if query.shape == "object" and isinstance(payload, list):
        return payload[0] if payload else None
    return payload


def total_from_content_range(value: str | None) -> int | None:
    """The ``123`` of ``Content-Range: 0-19/123`` (``*/0`` when empty; ``*`` if uncounted)."""
    if not value or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


def mutation(query: Insert | Update | Delete) -> HttpRequest:
    if isinstance(query, Insert):
        return insert(query)
    if isinstance(query, Update):
        return update(query)
    return delete(query)
