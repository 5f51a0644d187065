"""The interface the resources talk to; one implementation per transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from uuid import UUID

from dashin_sdk.identity import Caller
from dashin_sdk.query import Mutation, Rows, Rpc, Select

WatchedTable = Literal["scraping_jobs", "notifications"]


@dataclass(frozen=True)
class Change:
    """A watched row changed. ``record`` is the new row when the transport carries it."""

    row_id: UUID | None
    record: dict[str, Any] | None = None


@dataclass(frozen=True)
class Resync:
    """(Re)subscribed, or quiet for a while: re-read, something may have been missed."""


Signal = Change | Resync


class AsyncBackend(Protocol):
    async def select(self, query: Select) -> Rows: ...

    async def mutate(self, query: Mutation) -> list[dict[str, Any]]: ...

    async def rpc(self, query: Rpc) -> Any: ...

    async def caller(self) -> Caller: ...

    def changes(
        self, table: WatchedTable, *, row_id: UUID | None = None
    ) -> AsyncIterator[Signal]: ...

    async def close(self) -> None: ...
