"""``sql_compiler``: the SQL each query object becomes, and that values are only ever parameters."""

from __future__ import annotations

from typing import Any

import pytest
from psycopg.types.json import Jsonb

from dashin_sdk import sql_compiler
from dashin_sdk.query import (
    AnyOf,
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

EVIL = "x'); drop table public.leads; --"


def text(composed: Any) -> str:
    # as_string needs no connection for identifiers and SQL literals of ints.
    return str(composed.as_string(None))


@pytest.mark.parametrize(
    ("flt", "where", "params"),
    [
        (Filter("status", "eq", "new"), '"status" = %s', ["new"]),
        (Filter("status", "neq", "new"), '"status" <> %s', ["new"]),
        (Filter("n", "gte", 1), '"n" >= %s', [1]),
        (Filter("n", "lte", 2), '"n" <= %s', [2]),
        (Filter("n", "gt", 3), '"n" > %s', [3]),
        (Filter("n", "lt", 4), '"n" < %s', [4]),
        (Filter("email", "ilike", "%a%"), '"email"::text ilike %s', ["%a%"]),
        (Filter("read", "is", None), '"read" is null', []),
        (Filter("read", "is", True), '"read" is true', []),
        (Filter("read", "is", False), '"read" is false', []),
        (is_in("id", ["a", "b", "c"]), '"id" in (%s, %s, %s)', ["a", "b", "c"]),
        (is_in("id", []), "false", []),
        (
            AnyOf((Filter("a", "ilike", "%x%"), Filter("b", "eq", 1))),
            '("a"::text ilike %s or "b" = %s)',
            ["%x%", 1],
        ),
    ],
)
def test_filter_ops(flt: Any, where: str, params: list[Any]) -> None:
    statement, bound = sql_compiler.select(Select("leads", ("id",), (flt,)))
    assert text(statement) == f'select "id" from "public"."leads" where {where}'
    assert bound == params


def test_select_with_everything() -> None:
    query = Select(
        "leads",
        ("id", "email"),
        (eq("agency_id", "A"), search(["email", "company"], "50%_off")),
        (Order("created_at", descending=True), Order("id", descending=True)),
        offset=40,
        limit=20,
        count=True,
    )
    statement, params = sql_compiler.select(query)
    assert text(statement) == (
        'select "id", "email" from "public"."leads" where "agency_id" = %s and'
        ' ("email"::text ilike %s or "company"::text ilike %s)'
        ' order by "created_at" desc nulls last, "id" desc nulls last limit 20 offset 40'
    )
    assert params == ["A", "%50\\%\\_off%", "%50\\%\\_off%"]
    count, count_params = sql_compiler.count(query)
    assert text(count) == (
        'select count(*) from "public"."leads" where "agency_id" = %s and'
        ' ("email"::text ilike %s or "company"::text ilike %s)'
    )
    assert count_params == params


def test_insert_fills_missing_columns_with_default() -> None:
    statement, params = sql_compiler.insert(
        Insert(
            "leads", ({"email": "a", "metadata": {"k": 1}}, {"email": "b", "title": "t"}), ("id",)
        )
    )
    assert text(statement) == (
        'insert into "public"."leads" ("email", "metadata", "title")'
        ' values (%s, %s, default), (%s, default, %s) returning "id"'
    )
    assert params[0] == "a"
    assert params[2:] == ["b", "t"]
    assert isinstance(params[1], Jsonb)
    assert params[1].obj == {"k": 1}


def test_update_and_delete() -> None:
    statement, params = sql_compiler.update(
        Update("leads", {"status": "new", "tags": ["a"]}, (is_in("id", [1, 2]),), ())
    )
    assert (
        text(statement)
        == 'update "public"."leads" set "status" = %s, "tags" = %s where "id" in (%s, %s)'
    )
    assert params[0] == "new"
    assert isinstance(params[1], Jsonb)
    assert params[2:] == [1, 2]
    statement, params = sql_compiler.delete(Delete("leads", (eq("id", 7),), ("id",)))
    assert text(statement) == 'delete from "public"."leads" where "id" = %s returning "id"'
    assert params == [7]


@pytest.mark.parametrize(
    ("shape", "prefix"),
    [
        ("scalar", "select "),
        ("object", "select to_jsonb(r) from "),
        ("rows", "select to_jsonb(r) from "),
    ],
)
def test_rpc(shape: Any, prefix: str) -> None:
    statement, params = sql_compiler.rpc(Rpc("start_job", {"job_id": "j", "opts": {"a": 1}}, shape))
    call = '"public"."start_job"("job_id" => %(job_id)s, "opts" => %(opts)s)'
    assert text(statement) == prefix + call + (" r" if shape != "scalar" else "")
    assert params["job_id"] == "j"
    assert isinstance(params["opts"], Jsonb)


def test_values_never_reach_the_sql_text() -> None:
    queries = [
        sql_compiler.select(
            Select(
                "leads", ("id",), (eq("email", EVIL), search(["email"], EVIL), is_in("id", [EVIL]))
            )
        )[0],
        sql_compiler.insert(Insert("leads", ({"email": EVIL},), ("id",)))[0],
        sql_compiler.update(Update("leads", {"email": EVIL}, (eq("id", EVIL),), ()))[0],
        sql_compiler.delete(Delete("leads", (eq("id", EVIL),), ()))[0],
        sql_compiler.rpc(Rpc("f", {"a": EVIL}))[0],
    ]
    for statement in queries:
        assert "drop table" not in text(statement)


def test_identifiers_are_quoted() -> None:
    statement, _ = sql_compiler.select(Select('le"ads', ('i"d',), (eq("x; drop", 1),)))
    assert text(statement) == 'select "i""d" from "public"."le""ads" where "x; drop" = %s'


def test_limit_is_a_literal_that_cannot_escape() -> None:
    query = Select("leads", ("id",), limit="1; drop table x")  # type: ignore[arg-type]
    statement, _ = sql_compiler.select(query)
    assert text(statement).endswith("limit '1; drop table x'")  # quoted: a type error at most
