"""Argument checks shared by the resources, run before any request is sent."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from dashin_sdk.errors import invalid_argument
from dashin_sdk.models.enums import SortOrder

E = TypeVar("E", bound=StrEnum)

MAX_PAGE_SIZE = 1000


def uuid_arg(field: str, value: Any) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise invalid_argument(field, f"not a UUID: {value!r}") from None


def optional_uuid(field: str, value: Any) -> UUID | None:
    return None if value is None else uuid_arg(field, value)


def uuid_list(field: str, values: Iterable[Any]) -> list[UUID]:
    if isinstance(values, str | bytes):
        raise invalid_argument(field, "expected a list of UUIDs, got a string")
    result = [uuid_arg(field, v) for v in values]
    if not result:
        raise invalid_argument(field, "must not be empty")
    return result


def enum_arg(field: str, enum: type[E], value: Any) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise invalid_argument(field, f"{value!r} is not one of: {allowed}") from None


def page_args(page: int, page_size: int) -> tuple[int, int]:
    if not isinstance(page, int) or page < 1:
        raise invalid_argument("page", f"must be an integer >= 1, got {page!r}")
    if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise invalid_argument("page_size", f"must be 1..{MAX_PAGE_SIZE}, got {page_size!r}")
    return page, page_size


def sort_args(sort_by: str, sort_order: str, allowed: Iterable[str]) -> tuple[str, bool]:
    column = choice("sort_by", sort_by, allowed)
    order = enum_arg("sort_order", SortOrder, sort_order)
    return column, order is SortOrder.DESC


def choice(field: str, value: str, allowed: Iterable[str]) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise invalid_argument(field, f"{value!r} is not one of: {', '.join(allowed)}")
    return value


def text_arg(field: str, value: Any, *, max_length: int = 200) -> str:
    if not isinstance(value, str):
        raise invalid_argument(field, f"expected text, got {type(value).__name__}")
    if len(value) > max_length:
        raise invalid_argument(field, f"longer than {max_length} characters")
    return value
