"""Compile :mod:`dashin_sdk.query` objects to SQL with psycopg's ``sql`` composition.

Identifiers are always ``sql.Identifier`` and values always parameters: nothing from a caller
is formatted into SQL text. Set-returning and composite functions come back as ``to_jsonb`` so
they have the shape PostgREST gives them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from dashin_sdk.query import (
    AnyOf,
    Condition,
    Delete,
    Filter,
    Insert,
    Mutation,
    Order,
    Rpc,
    Select,
    Update,
)

_OPERATORS: dict[str, sql.SQL] = {
    "eq": sql.SQL("="),
    "neq": sql.SQL("<>"),
    "gte": sql.SQL(">="),
    "lte": sql.SQL("<="),
    "gt": sql.SQL(">"),
    "lt": sql.SQL("<"),
    "ilike": sql.SQL("ilike"),
}


def _table(name: str) -> sql.Composable:
    return sql.Identifier("public", name)


def _columns(columns: Sequence[str]) -> sql.Composable:
    return sql.SQL(", ").join(sql.Identifier(column) for column in columns)


def _value(value: Any) -> Any:
    # Objects and arrays bound for json/jsonb columns; Postgres casts jsonb to the column type.
    if isinstance(value, dict | list):
        return Jsonb(value)
    return value


def _condition(condition: Condition, params: list[Any]) -> sql.Composable:
    if isinstance(condition, AnyOf):
        parts = [_condition(inner, params) for inner in condition.filters]
        return sql.SQL("({})").format(sql.SQL(" or ").join(parts))
    return _filter(condition, params)


def _filter(flt: Filter, params: list[Any]) -> sql.Composable:
    column = sql.Identifier(flt.column)
    if flt.op == "is":
        if flt.value is None:
            return sql.SQL("{} is null").format(column)
        return sql.SQL("{} is {}").format(column, sql.SQL("true" if flt.value else "false"))
    if flt.op == "in":
        if not flt.value:
            return sql.SQL("false")
        # One parameter per value, so Postgres types each like the column (uuid, enum, text)
        # and the column's index stays usable.
        params.extend(flt.value)
        placeholders = sql.SQL(", ").join(sql.SQL("%s") for _ in flt.value)
        return sql.SQL("{} in ({})").format(column, placeholders)
    params.append(flt.value)
    if flt.op == "ilike":
        return sql.SQL("{}::text ilike %s").format(column)
    return sql.SQL("{} {} %s").format(column, _OPERATORS[flt.op])


def _where(conditions: Sequence[Condition], params: list[Any]) -> sql.Composable:
    if not conditions:
        return sql.SQL("")
    parts = [_condition(c, params) for c in conditions]
    return sql.SQL(" where {}").format(sql.SQL(" and ").join(parts))


def _order(order: Sequence[Order]) -> sql.Composable:
    if not order:
        return sql.SQL("")
    parts = [
        sql.SQL("{} {}").format(
            sql.Identifier(o.column), sql.SQL("desc nulls last" if o.descending else "asc")
        )
        for o in order
    ]
    return sql.SQL(" order by {}").format(sql.SQL(", ").join(parts))


def _returning(columns: Sequence[str]) -> sql.Composable:
    if not columns:
        return sql.SQL("")
    return sql.SQL(" returning {}").format(_columns(columns))


def select(query: Select) -> tuple[sql.Composed, list[Any]]:
    params: list[Any] = []
    where = _where(query.where, params)
    statement = sql.SQL("select {} from {}{}{}").format(
        _columns(query.columns), _table(query.table), where, _order(query.order)
    )
    if query.limit is not None:
        statement = sql.SQL("{} limit {}").format(statement, sql.Literal(query.limit))
    if query.offset:
        statement = sql.SQL("{} offset {}").format(statement, sql.Literal(query.offset))
    return statement, params


def count(query: Select) -> tuple[sql.Composed, list[Any]]:
    params: list[Any] = []
    where = _where(query.where, params)
    return sql.SQL("select count(*) from {}{}").format(_table(query.table), where), params


def insert(query: Insert) -> tuple[sql.Composed, list[Any]]:
    # Every row gets the union of the given columns; missing ones take their defaults.
    columns = query.columns
    params: list[Any] = []
    values = []
    for row in query.rows:
        cells = []
        for column in columns:
            if column in row:
                params.append(_value(row[column]))
                cells.append(sql.SQL("%s"))
            else:
                cells.append(sql.SQL("default"))
        values.append(sql.SQL("({})").format(sql.SQL(", ").join(cells)))
    statement = sql.SQL("insert into {} ({}) values {}{}").format(
        _table(query.table),
        _columns(columns),
        sql.SQL(", ").join(values),
        _returning(query.returning),
    )
    return statement, params


def update(query: Update) -> tuple[sql.Composed, list[Any]]:
    params: list[Any] = []
    assignments = []
    for column, value in query.values.items():
        params.append(_value(value))
        assignments.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
    where = _where(query.where, params)
    statement = sql.SQL("update {} set {}{}{}").format(
        _table(query.table), sql.SQL(", ").join(assignments), where, _returning(query.returning)
    )
    return statement, params


def delete(query: Delete) -> tuple[sql.Composed, list[Any]]:
    params: list[Any] = []
    where = _where(query.where, params)
    statement = sql.SQL("delete from {}{}{}").format(
        _table(query.table), where, _returning(query.returning)
    )
    return statement, params


def rpc(query: Rpc) -> tuple[sql.Composed, Mapping[str, Any]]:
    """``select public.fn(name => %(name)s, ...)`` shaped as PostgREST would return it."""
    arguments = sql.SQL(", ").join(
        sql.SQL("{} => {}").format(sql.Identifier(name), sql.Placeholder(name))
        for name in query.args
    )
    call = sql.SQL("{}({})").format(sql.Identifier("public", query.function), arguments)
    if query.shape in ("rows", "object"):
        statement = sql.SQL("select to_jsonb(r) from {} r").format(call)
    else:
        statement = sql.SQL("select {}").format(call)
    return statement, {name: _value(value) for name, value in query.args.items()}


def mutation(query: Mutation) -> tuple[sql.Composed, list[Any]]:
    if isinstance(query, Insert):
        return insert(query)
    if isinstance(query, Update):
        return update(query)
    return delete(query)
