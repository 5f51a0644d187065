"""What every resource shares: paging, fetch-one, change-one with precise errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

import pydantic

from dashin_sdk import validation as v
from dashin_sdk._async.backend import AsyncBackend, Change, Signal
from dashin_sdk._async.page import AsyncPage
from dashin_sdk.credentials import CredentialsKeyring
from dashin_sdk.errors import NotFoundError, PermissionDeniedError
from dashin_sdk.identity import Caller
from dashin_sdk.models._base import Row
from dashin_sdk.models.page import PageMeta
from dashin_sdk.models.tables import ScrapingJob, columns_of
from dashin_sdk.query import Condition, Delete, Filter, Order, Rpc, Select, Update, eq

R = TypeVar("R", bound=Row)
T = TypeVar("T")


def record_of(signal: Signal, model: type[R]) -> R | None:
    """The row a realtime signal carried, if it carried a complete one (Realtime does).

    ``None`` for a bare change (LISTEN), a resync or a partial record (e.g. unchanged TOAST
    values): the caller re-reads instead.
    """
    if isinstance(signal, Change) and signal.record is not None:
        try:
            return model.model_validate(signal.record)
        except pydantic.ValidationError:
            return None
    return None


def found(result: T | None, what: str) -> T:
    """An RPC's answer; ``None`` means the row does not exist or the caller cannot see it."""
    if result is None:
        raise NotFoundError(f"{what} not found", code="P0002")
    return result


async def open_credentials(
    backend: AsyncBackend, data_source_id: UUID, keyring: Callable[[], CredentialsKeyring]
) -> dict[str, Any] | None:
    """A data source's credentials, opened; ``None`` when it has none.

    ``keyring`` is called only when there is an envelope to open, so sources without
    credentials need no key.
    """
    envelope = await backend.read_credentials(data_source_id)
    return keyring().open(envelope) if envelope else None


def record_test(data_source_id: UUID, success: bool, message: str) -> Rpc:
    """``record_data_source_test``: store a connection test's outcome on the data source."""
    args = {"data_source_id": data_source_id, "success": success, "message": message}
    return Rpc("record_data_source_test", args)


class AsyncResource:
    table: str = ""

    def __init__(self, backend: AsyncBackend) -> None:
        self._backend = backend

    async def _agency_scope(self, agency_id: UUID | None) -> list[Condition]:
        """Narrow to one agency: the one asked for, else the caller's own.

        RLS would filter to the own agency anyway; saying it lets Postgres walk the
        ``(agency_id, ..., created_at)`` indexes in order instead of sorting every visible row.
        """
        if agency_id is not None:
            return [eq("agency_id", agency_id)]
        caller: Caller = await self._backend.caller()
        if caller.sees_all_agencies or caller.agency_id is None:
            return []
        return [eq("agency_id", caller.agency_id)]

    async def _list_page(
        self,
        model: type[R],
        filters: Sequence[Condition],
        page: int,
        page_size: int,
        sort: tuple[str, str, Sequence[str]],
        agency_id: UUID | str | None,
    ) -> AsyncPage[R]:
        """A list endpoint's page: ``filters`` already checked, then paging, sort and agency.

        Every argument is checked before the agency scope, which may query the caller: bad
        input fails with a ValidationError naming the field, never with a database error.
        """
        page, page_size = v.page_args(page, page_size)
        sort_by, sort_order, sortable = sort
        column, descending = v.sort_args(sort_by, sort_order, sortable)
        agency = v.optional_uuid("agency_id", agency_id)
        where = [*await self._agency_scope(agency), *filters]
        return await self._page(model, where, [Order(column, descending)], page, page_size)

    async def _page(
        self,
        model: type[R],
        where: Sequence[Condition],
        order: Sequence[Order],
        page: int,
        page_size: int,
        *,
        table: str | None = None,
    ) -> AsyncPage[R]:
        query = Select(
            table=table or self.table,
            columns=columns_of(model),
            where=tuple(where),
            order=(*order, Order("id", descending=order[0].descending if order else False)),
            offset=(page - 1) * page_size,
            limit=page_size,
            count=True,
        )
        result = await self._backend.select(query)
        total = result.total or 0
        data = [model.model_validate(row) for row in result.rows]

        async def fetch(next_page: int) -> AsyncPage[R]:
            return await self._page(model, where, order, next_page, page_size, table=table)

        meta = PageMeta(
            total=total,
            page=page,
            page_size=page_size,
            has_more=(page - 1) * page_size + len(data) < total,
        )
        return AsyncPage(data, meta, fetch)

    async def _get(self, model: type[R], row_id: UUID, *, table: str | None = None) -> R:
        query = Select(table or self.table, columns_of(model), (eq("id", row_id),), limit=1)
        result = await self._backend.select(query)
        if not result.rows:
            raise NotFoundError(
                f"{table or self.table} {row_id} not found", code="PGRST116", status=406
            )
        return model.model_validate(result.rows[0])

    async def _job_rpc(self, function: str, args: dict[str, Any]) -> ScrapingJob:
        """A job-state function (start_job, complete_job, ...): the job as it is now."""
        row = await self._backend.rpc(Rpc(function, args, shape="object"))
        return ScrapingJob.model_validate(row)

    async def _missing(self, action: str, row_id: UUID) -> Exception:
        """Why a change of one row by id matched nothing."""
        return await self._unchanged(
            (eq("id", row_id),),
            denied=f"not allowed to {action} {self.table} {row_id}",
            absent=f"{self.table} {row_id} not found",
        )

    async def _unchanged(
        self, where: tuple[Filter, ...], *, denied: str, absent: str, table: str | None = None
    ) -> Exception:
        """Why a change matched no row: visible but not changeable (RLS let the identity read,
        not write), or hidden / absent."""
        probe = Select(table or self.table, (where[0].column,), where, limit=1)
        if (await self._backend.select(probe)).rows:
            return PermissionDeniedError(denied, code="42501", status=403)
        return NotFoundError(absent, code="PGRST116", status=406)

    async def _update(self, model: type[R], row_id: UUID, values: dict[str, Any]) -> R:
        if not values:
            return await self._get(model, row_id)
        rows = await self._backend.mutate(
            Update(self.table, values, (eq("id", row_id),), columns_of(model))
        )
        if not rows:
            raise await self._missing("update", row_id)
        return model.model_validate(rows[0])

    async def _delete(self, row_id: UUID) -> None:
        rows = await self._backend.mutate(Delete(self.table, (eq("id", row_id),), ("id",)))
        if not rows:
            raise await self._missing("delete", row_id)
