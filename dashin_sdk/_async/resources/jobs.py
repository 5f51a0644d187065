"""``dx.jobs``: the spec's /jobs endpoints and a live view of one job."""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Any
from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.page import AsyncPage
from dashin_sdk._async.resources._base import AsyncResource, record_of
from dashin_sdk.models._base import validate_input
from dashin_sdk.models.enums import JobStatus, LogLevel
from dashin_sdk.models.events import JobEvent
from dashin_sdk.models.inputs import JobCreate
from dashin_sdk.models.tables import DataSource, ScrapingJob, ScrapingJobLog, columns_of
from dashin_sdk.query import Condition, Insert, Order, eq

SORTABLE = ("created_at", "updated_at", "status", "progress", "started_at", "completed_at")


class AsyncJobs(AsyncResource):
    table = "scraping_jobs"

    async def list(
        self,
        *,
        status: JobStatus | str | None = None,
        data_source_id: UUID | str | None = None,
        campaign_id: UUID | str | None = None,
        page: int = 1,
        page_size: int = 20,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        agency_id: UUID | str | None = None,
    ) -> AsyncPage[ScrapingJob]:
        filters: builtins.list[Condition] = []
        if status is not None:
            filters.append(eq("status", v.enum_arg("status", JobStatus, status)))
        if data_source_id is not None:
            filters.append(eq("data_source_id", v.uuid_arg("data_source_id", data_source_id)))
        if campaign_id is not None:
            filters.append(eq("campaign_id", v.uuid_arg("campaign_id", campaign_id)))
        return await self._list_page(
            ScrapingJob, filters, page, page_size, (sort_by, sort_order, SORTABLE), agency_id
        )

    async def get(self, job_id: UUID | str) -> ScrapingJob:
        return await self._get(ScrapingJob, v.uuid_arg("job_id", job_id))

    async def create(
        self,
        data_source_id: UUID | str,
        search_criteria: dict[str, Any],
        *,
        campaign_id: UUID | str | None = None,
        config: dict[str, Any] | None = None,
        max_attempts: int | None = None,
    ) -> ScrapingJob:
        """``POST /jobs/create``: a pending job in the data source's agency."""
        data = validate_input(
            JobCreate,
            {
                "data_source_id": data_source_id,
                "search_criteria": search_criteria,
                "campaign_id": campaign_id,
                "config": config,
                "max_attempts": max_attempts,
            },
        )
        source = await self._get(DataSource, data.data_source_id, table="data_sources")
        payload = {k: x for k, x in data.to_payload().items() if x is not None}
        payload["agency_id"] = str(source.agency_id)
        rows = await self._backend.mutate(Insert(self.table, (payload,), columns_of(ScrapingJob)))
        return ScrapingJob.model_validate(rows[0])

    async def start(self, job_id: UUID | str) -> ScrapingJob:
        """``POST /jobs/:id/start``: pending → queued for a worker (InvalidStateError otherwise)."""
        return await self._transition("start_job", job_id)

    async def pause(self, job_id: UUID | str) -> ScrapingJob:
        return await self._transition("pause_job", job_id)

    async def resume(self, job_id: UUID | str) -> ScrapingJob:
        return await self._transition("resume_job", job_id)

    async def cancel(self, job_id: UUID | str) -> ScrapingJob:
        return await self._transition("cancel_job", job_id)

    async def _transition(self, function: str, job_id: UUID | str) -> ScrapingJob:
        args = {"job_id": v.uuid_arg("job_id", job_id)}
        return await self._job_rpc(function, args)

    async def logs(
        self,
        job_id: UUID | str,
        *,
        level: LogLevel | str | None = None,
        page: int = 1,
        page_size: int = 50,
    ) -> AsyncPage[ScrapingJobLog]:
        """``GET /jobs/:id/logs``, oldest first."""
        page, page_size = v.page_args(page, page_size)
        where: builtins.list[Condition] = [eq("job_id", v.uuid_arg("job_id", job_id))]
        if level is not None:
            where.append(eq("level", v.enum_arg("level", LogLevel, level)))
        return await self._page(
            ScrapingJobLog,
            where,
            [Order("created_at")],
            page,
            page_size,
            table="scraping_job_logs",
        )

    async def watch(self, job_id: UUID | str) -> AsyncGenerator[JobEvent, None]:
        """Yield the job whenever it changes, until it completes, fails or is cancelled.

        The first event is a snapshot. After a dropped connection the stream reconnects,
        resubscribes and re-reads the job, so the terminal state is never missed.
        """
        wanted = v.uuid_arg("job_id", job_id)
        last: ScrapingJob | None = None
        signals = self._backend.changes("scraping_jobs", row_id=wanted)
        async with aclosing(signals):
            async for signal in signals:
                job = record_of(signal, ScrapingJob) or await self.get(wanted)
                if job != last:
                    yield JobEvent(kind="snapshot" if last is None else "update", job=job)
                    last = job
                if job.status.is_terminal:
                    return

    async def wait(self, job_id: UUID | str) -> ScrapingJob:
        """Block until the job ends; its final state."""
        final: ScrapingJob | None = None
        events = self.watch(job_id)
        async with aclosing(events):
            async for event in events:
                final = event.job
        assert final is not None  # watch yields at least the snapshot
        return final
