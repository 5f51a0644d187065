"""``dx.data_sources``: the spec's /data-sources endpoints. Credentials are sealed here."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any
from uuid import UUID

from dashin_sdk import connection_testers
from dashin_sdk import validation as v
from dashin_sdk._async import _io
from dashin_sdk._async.backend import AsyncBackend
from dashin_sdk._async.page import AsyncPage
from dashin_sdk._async.resources._base import AsyncResource, open_credentials, record_test
from dashin_sdk.credentials import CredentialsKeyring
from dashin_sdk.models._base import validate_input
from dashin_sdk.models.analytics import ConnectionTestResult
from dashin_sdk.models.enums import DataSourceStatus, DataSourceType, JobStatus
from dashin_sdk.models.inputs import DataSourceCreate, DataSourceUpdate
from dashin_sdk.models.tables import DataSource, ScrapingJob, columns_of
from dashin_sdk.query import Condition, Insert, Order, eq
from dashin_sdk.query import search as text_search

SORTABLE = ("created_at", "updated_at", "name", "type", "status", "last_test_at")


class AsyncDataSources(AsyncResource):
    table = "data_sources"

    def __init__(self, backend: AsyncBackend, keyring: Callable[[], CredentialsKeyring]) -> None:
        super().__init__(backend)
        self._keyring = keyring

    async def list(
        self,
        *,
        type: DataSourceType | str | None = None,
        status: DataSourceStatus | str | None = None,
        search: str | None = None,
        page: int = 1,
        page_size: int = 20,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        agency_id: UUID | str | None = None,
    ) -> AsyncPage[DataSource]:
        """``GET /data-sources`` (never with credentials: ``has_credentials`` says if set)."""
        filters: builtins.list[Condition] = []
        if type is not None:
            filters.append(eq("type", v.enum_arg("type", DataSourceType, type)))
        if status is not None:
            filters.append(eq("status", v.enum_arg("status", DataSourceStatus, status)))
        if search:
            filters.append(text_search(["name"], v.text_arg("search", search)))
        return await self._list_page(
            DataSource, filters, page, page_size, (sort_by, sort_order, SORTABLE), agency_id
        )

    async def get(self, data_source_id: UUID | str) -> DataSource:
        return await self._get(DataSource, v.uuid_arg("data_source_id", data_source_id))

    async def create(self, *, name: str, type: DataSourceType | str, **fields: Any) -> DataSource:
        """``POST /data-sources/create``; ``credentials`` are encrypted before sending."""
        data = validate_input(DataSourceCreate, {"name": name, "type": type, **fields})
        payload = self._seal(data.to_payload())
        rows = await self._backend.mutate(Insert(self.table, (payload,), columns_of(DataSource)))
        return DataSource.model_validate(rows[0])

    async def update(self, data_source_id: UUID | str, **fields: Any) -> DataSource:
        payload = self._seal(validate_input(DataSourceUpdate, fields).to_payload())
        return await self._update(DataSource, v.uuid_arg("data_source_id", data_source_id), payload)

    async def delete(self, data_source_id: UUID | str) -> None:
        await self._delete(v.uuid_arg("data_source_id", data_source_id))

    async def jobs(
        self,
        data_source_id: UUID | str,
        *,
        status: JobStatus | str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> AsyncPage[ScrapingJob]:
        """``GET /data-sources/:id/jobs``, newest first."""
        page, page_size = v.page_args(page, page_size)
        where: builtins.list[Condition] = [
            eq("data_source_id", v.uuid_arg("data_source_id", data_source_id))
        ]
        if status is not None:
            where.append(eq("status", v.enum_arg("status", JobStatus, status)))
        return await self._page(
            ScrapingJob,
            where,
            [Order("created_at", descending=True)],
            page,
            page_size,
            table="scraping_jobs",
        )

    async def test(self, data_source_id: UUID | str) -> ConnectionTestResult:
        """``POST /data-sources/:id/test``: run the connector's check and record the outcome.

        The check needs the decrypted credentials, so it runs where they can be opened: in
        this process on the direct backend or with a service-role key (``DASHIN_CREDENTIALS_KEY``
        set), otherwise on the Dashin API.
        """
        source = await self.get(data_source_id)
        if not self._backend.trusted:
            result = await self._backend.call_api("POST", f"/data-sources/{source.id}/test")
            return ConnectionTestResult.model_validate(result)
        tester = connection_testers.tester_for(source.type.value)
        credentials = await open_credentials(self._backend, source.id, self._keyring)
        try:
            success, message = await _io.run_blocking(
                tester.test_connection, source.config, credentials
            )
        except Exception as exc:  # a failed test is a result, not an error of this call
            success, message = False, f"{type(exc).__name__}: {exc}"
        result = await self._backend.rpc(record_test(source.id, success, message))
        return ConnectionTestResult.model_validate(result)

    def _seal(self, payload: dict[str, Any]) -> dict[str, Any]:
        if payload.get("credentials") is not None:
            payload["credentials"] = self._keyring().seal(payload["credentials"])
        return payload
