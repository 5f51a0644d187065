"""Backend-neutral descriptions of the calls resources make.

Resources build these; ``dashin_sdk.sql_compiler`` turns them into SQL (psycopg ``sql``
composition) and ``dashin_sdk.postgrest_compiler`` into PostgREST requests. Neither resources
nor these classes contain SQL or PostgREST syntax.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

FilterOp = Literal["eq", "neq", "in", "ilike", "gte", "lte", "gt", "lt", "is"]
ResultShape = Literal["scalar", "object", "rows"]


@dataclass(frozen=True)
class Filter:
    """``column <op> value``; ``is`` takes ``None``, ``True`` or ``False``."""

    column: str
    op: FilterOp
    value: Any


@dataclass(frozen=True)
class AnyOf:
    """True when any of its filters is (a search across several columns)."""

    filters: tuple[Filter, ...]


Condition = Filter | AnyOf


@dataclass(frozen=True)
class Order:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class Select:
    table: str
    columns: tuple[str, ...]
    where: tuple[Condition, ...] = ()
    order: tuple[Order, ...] = ()
    offset: int | None = None
    limit: int | None = None
    count: bool = False  # also return the exact number of matching rows


@dataclass(frozen=True)
class Insert:
    table: str
    rows: tuple[Mapping[str, Any], ...]
    returning: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """Every column given in any row, in first-seen order (others take their defaults)."""
        return list(dict.fromkeys(column for row in self.rows for column in row))


@dataclass(frozen=True)
class Update:
    table: str
    values: Mapping[str, Any]
    where: tuple[Condition, ...]
    returning: tuple[str, ...]


@dataclass(frozen=True)
class Delete:
    table: str
    where: tuple[Condition, ...]
    returning: tuple[str, ...]


@dataclass(frozen=True)
class Rpc:
    """A call of ``public.<function>`` with named arguments.

    ``shape`` says what the function returns: one value (``scalar``, e.g. jsonb or integer),
    one composite row (``object``) or a set of rows (``rows``).
    """

    function: str
    args: Mapping[str, Any] = field(default_factory=dict)
    shape: ResultShape = "scalar"
    read_only: bool = False  # safe to retry: it changes nothing


@dataclass(frozen=True)
class Rows:
    """What a backend returns for a query: rows as dicts, and the exact count if asked."""

    rows: list[dict[str, Any]]
    total: int | None = None


Mutation = Insert | Update | Delete


def eq(column: str, value: Any) -> Filter:
    return Filter(column, "eq", value)


def is_in(column: str, values: Sequence[Any]) -> Filter:
    return Filter(column, "in", tuple(values))


def search(columns: Sequence[str], text: str) -> AnyOf:
    """Case-insensitive substring search across ``columns`` (served by trigram indexes)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return AnyOf(tuple(Filter(column, "ilike", pattern) for column in columns))
