"""``jobs.watch`` end to end over the HTTP backend: REST reads doubled with respx, Realtime by
the local websocket double (respx intercepts httpx only; the websocket is real).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from dashin_sdk import AsyncDashin, Dashin
from dashin_sdk.models.enums import JobStatus
from dashin_sdk.models.events import JobEvent
from dashin_sdk.settings import ClientOptions
from tests.support import postgrest
from tests.support.realtime_double import RealtimeDouble

JOB_ID = postgrest.JOB_ID
# No "quiet" re-reads during a test: every read is a snapshot or follows a (re)join.
OPTIONS = ClientOptions(timeout=5.0, max_retries=0, realtime_poll_interval=120.0)


class JobTable:
    """The ``scraping_jobs`` rows PostgREST serves; the test changes them as a worker would."""

    def __init__(self, **job: Any) -> None:
        self.row = postgrest.job(**job)
        self.reads = 0

    def serve(self, request: httpx.Request) -> httpx.Response:
        assert request.url.params.get("id") == f"eq.{JOB_ID}"
        assert request.headers["apikey"] == postgrest.SERVICE_KEY
        self.reads += 1
        return postgrest.rows([self.row])


@pytest.fixture
def jobs(realtime: RealtimeDouble) -> Iterator[JobTable]:
    table = JobTable(status="running", progress=10, worker_id="w1", run_after=postgrest.TS)
    with respx.mock(base_url=realtime.http_url, assert_all_called=True) as mock:
        mock.get("/rest/v1/scraping_jobs").mock(side_effect=table.serve)
        yield table


def summary(event: JobEvent) -> tuple[str, JobStatus, int]:
    return (event.kind, event.job.status, event.job.progress)


def test_watch_uses_realtime_rows_and_ends_at_the_terminal_status(
    realtime: RealtimeDouble, jobs: JobTable
) -> None:
    with Dashin(
        supabase_url=realtime.http_url, supabase_key=postgrest.SERVICE_KEY, options=OPTIONS
    ) as dx:
        watch = dx.jobs.watch(JOB_ID)
        assert summary(next(watch)) == ("snapshot", JobStatus.RUNNING, 10)
        [join] = realtime.joins
        assert join.query["apikey"] == postgrest.SERVICE_KEY
        assert join.access_token == postgrest.SERVICE_KEY
        assert join.bindings == [
            {
                "event": "*",
                "schema": "public",
                "table": "scraping_jobs",
                "filter": f"id=eq.{JOB_ID}",
            }
        ]
        assert jobs.reads == 1

        running = postgrest.job(status="running", progress=60, worker_id="w1")
        assert realtime.push("scraping_jobs", "UPDATE", running, jobs.row) == 1
        assert summary(next(watch)) == ("update", JobStatus.RUNNING, 60)
        done = postgrest.job(status="completed", progress=100, completed_at=postgrest.TS)
        assert realtime.push("scraping_jobs", "UPDATE", done, running) == 1
        assert summary(next(watch)) == ("update", JobStatus.COMPLETED, 100)
        with pytest.raises(StopIteration):
            next(watch)
        assert jobs.reads == 1  # the pushed rows were used as they came, not re-read
    realtime.wait_for_open_connections(0)


def test_sync_watch_rereads_after_a_drop_and_sees_the_missed_end(
    realtime: RealtimeDouble, jobs: JobTable
) -> None:
    with Dashin(
        supabase_url=realtime.http_url, supabase_key=postgrest.SERVICE_KEY, options=OPTIONS
    ) as dx:
        watch = dx.jobs.watch(JOB_ID)
        assert summary(next(watch)) == ("snapshot", JobStatus.RUNNING, 10)
        # The job completes while the socket is down: its Realtime event is never delivered.
        jobs.row = postgrest.job(status="completed", progress=100, completed_at=postgrest.TS)
        realtime.drop_connections()
        assert summary(next(watch)) == ("update", JobStatus.COMPLETED, 100)
        with pytest.raises(StopIteration):
            next(watch)
    assert len(realtime.joins) == 2
    assert realtime.joins[1].config == realtime.joins[0].config
    assert jobs.reads == 2


def test_async_watch_rereads_after_a_drop_and_sees_the_missed_end(
    realtime: RealtimeDouble, jobs: JobTable
) -> None:
    async def scenario() -> list[tuple[str, JobStatus, int]]:
        seen = []
        async with AsyncDashin(
            supabase_url=realtime.http_url, supabase_key=postgrest.SERVICE_KEY, options=OPTIONS
        ) as dx:
            async for event in dx.jobs.watch(JOB_ID):
                seen.append(summary(event))
                if event.kind == "snapshot":
                    jobs.row = postgrest.job(
                        status="completed", progress=100, completed_at=postgrest.TS
                    )
                    await asyncio.to_thread(realtime.drop_connections)
        return seen

    assert asyncio.run(scenario()) == [
        ("snapshot", JobStatus.RUNNING, 10),
        ("update", JobStatus.COMPLETED, 100),
    ]
    assert len(realtime.joins) == 2
    assert jobs.reads == 2
