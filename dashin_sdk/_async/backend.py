"""The interface the resources talk to; one implementation per transport."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from uuid import UUID

from dashin_sdk.identity import Caller, Identity
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
    # True when this process may read data-source credentials (direct connection or a
    # service-role key); otherwise credential work goes through the Dashin API.
    trusted: bool
    identity: Identity

    async def select(self, query: Select) -> Rows: ...

    async def mutate(self, query: Mutation) -> list[dict[str, Any]]: ...

    async def rpc(self, query: Rpc) -> Any: ...

    async def caller(self) -> Caller: ...

    async def sign_in(self, email: str, password: str) -> None: ...

    async def sign_out(self) -> None: ...

    def changes(
        self, table: WatchedTable, *, row_id: UUID | None = None
    ) -> AsyncGenerator[Signal, None]: ...

    async def read_credentials(self, data_source_id: UUID) -> dict[str, Any] | None:
        """The sealed credentials envelope (trusted backends only)."""
        ...

    async def call_api(self, method: str, path: str, body: Any = None) -> Any:
        """Call a Dashin REST API endpoint as this identity (HTTP backend only)."""
        ...

    async def close(self) -> None: ...
