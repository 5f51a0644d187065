"""The pure compiler: query objects -> PostgREST method, path, parameters, headers, body."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest

from dashin_sdk import postgrest_compiler as pc
from dashin_sdk.models.enums import LeadStatus
from dashin_sdk.query import (
    Delete,
    Filter,
    Insert,
    Order,
    Rpc,
    Select,
    Update,
    eq,
    is_in,
    search,
)

ID = UUID("66666666-6666-4666-8666-000000000001")


def test_select_matches_postgrest_conventions() -> None:
    query = Select(
        "leads",
        ("id", "email"),
        (eq("status", LeadStatus.NEW), search(["name", "email"], "x")),
        (Order("created_at", descending=True), Order("id", descending=True)),
        offset=40,
        limit=20,
        count=True,
    )
    request = pc.select(query)
    assert (request.method, request.path, request.headers) == (
        "GET",
        "/rest/v1/leads",
        {"Prefer": "count=exact"},
    )
    assert request.params == [
        ("select", "id,email"),
        ("status", "eq.new"),
        ("or", "(name.ilike.*x*,email.ilike.*x*)"),
        ("order", "created_at.desc.nullslast,id.desc.nullslast"),
        ("offset", "40"),
        ("limit", "20"),
    ]
    url = httpx.URL("https://x.supabase.co" + request.path, params=request.params)
    assert url.params["or"] == "(name.ilike.*x*,email.ilike.*x*)"


def test_first_page_sends_no_offset_and_uncounted_reads_no_prefer() -> None:
    request = pc.select(Select("t", ("id",), (), (Order("name"),), offset=0, limit=5))
    assert request.params == [("select", "id"), ("order", "name.asc"), ("limit", "5")]
    assert request.headers == {}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter("deleted_at", "is", None), "is.null"),
        (Filter("read", "is", True), "is.true"),
        (Filter("read", "is", False), "is.false"),
        (Filter("read", "eq", False), "eq.false"),
        (Filter("progress", "gte", 10), "gte.10"),
        (Filter("progress", "lt", 90), "lt.90"),
        (Filter("status", "neq", "done"), "neq.done"),
        (
            Filter("created_at", "gt", datetime(2025, 3, 1, tzinfo=UTC)),
            "gt.2025-03-01T00:00:00+00:00",
        ),
        (Filter("email", "eq", "a,b.c"), "eq.a,b.c"),  # top level: taken literally
        (is_in("id", [ID, ID]), f"in.({ID},{ID})"),
        (
            is_in("name", ["plain", "a,b", 'say "hi"', "back\\slash", "two words"]),
            'in.(plain,"a,b","say \\"hi\\"","back\\\\slash","two words")',
        ),
        (is_in("id", []), "in.()"),
    ],
)
def test_filters(flt: Filter, expected: str) -> None:
    request = pc.select(Select("t", ("id",), (flt,)))
    assert request.params[1] == (flt.column, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("saas", "(name.ilike.*saas*)"),
        ("50%", '(name.ilike."*50\\\\%*")'),  # \% kept as an escape, quoted so it survives
        ("a_b", '(name.ilike."*a\\\\_b*")'),
        ("o'brien, jr", '(name.ilike."*o\'brien, jr*")'),
        ("star*", "(name.ilike.*star_*)"),  # a literal * can only be "any one character"
    ],
)
def test_search_pattern_translates_percent_and_quotes_reserved(text: str, expected: str) -> None:
    request = pc.select(Select("t", ("id",), (search(["name"], text),)))
    assert request.params[1] == ("or", expected)


def test_insert_update_delete() -> None:
    insert = pc.insert(Insert("leads", ({"email": "a@x.io", "status": LeadStatus.NEW},), ("id",)))
    assert (insert.method, insert.path, insert.params) == (
        "POST",
        "/rest/v1/leads",
        [("select", "id")],
    )
    assert insert.headers == {"Prefer": "return=representation"}
    assert pc.to_json(insert.body) == b'[{"email":"a@x.io","status":"new"}]'

    update = pc.update(Update("leads", {"assigned_to": ID}, (is_in("id", [ID]),), ("id", "email")))
    assert update.method == "PATCH"
    assert update.params == [("id", f"in.({ID})"), ("select", "id,email")]
    assert update.headers == {"Prefer": "return=representation"}
    assert pc.to_json(update.body) == f'{{"assigned_to":"{ID}"}}'.encode()

    delete = pc.delete(Delete("leads", (eq("id", ID),), ()))
    assert (delete.method, delete.params, delete.body) == ("DELETE", [("id", f"eq.{ID}")], None)
    assert delete.headers == {"Prefer": "return=minimal"}


def test_insert_of_rows_with_different_keys_lets_missing_columns_default() -> None:
    request = pc.insert(Insert("logs", ({"a": 1}, {"a": 2, "b": 3}), ("id",)))
    assert request.params == [("select", "id"), ("columns", "a,b")]
    assert request.headers == {"Prefer": "return=representation,missing=default"}


@pytest.mark.parametrize(
    ("shape", "payload", "expected"),
    [
        ("rows", [{"id": 1}], [{"id": 1}]),
        ("rows", [], []),
        ("object", {"id": 1}, {"id": 1}),
        ("object", [{"id": 1}], {"id": 1}),
        ("object", [], None),
        ("scalar", 42, 42),
        ("scalar", "running", "running"),
        ("scalar", None, None),
    ],
)
def test_rpc_result_shapes(shape: Any, payload: Any, expected: Any) -> None:
    query = Rpc("fn", {"x": 1}, shape=shape)
    assert pc.rpc(query).path == "/rest/v1/rpc/fn"
    assert pc.rpc_result(query, payload) == expected


@pytest.mark.parametrize(
    ("header", "total"),
    [("0-19/123", 123), ("*/0", 0), ("40-44/45", 45), ("0-19/*", None), (None, None)],
)
def test_total_from_content_range(header: str | None, total: int | None) -> None:
    assert pc.total_from_content_range(header) == total
