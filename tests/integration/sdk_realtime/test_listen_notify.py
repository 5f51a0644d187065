"""``jobs.watch`` and ``notifications.stream`` over real LISTEN/NOTIFY (the direct backend).

The job is driven the way a deployment drives it: the researcher creates and starts it, a
worker (the service role) claims, checkpoints and completes it. The watch runs concurrently
and must report each state in order and end at the terminal one, even when its listening
connection is killed just before the end.
"""

from __future__ import annotations

import asyncio
from uuid import UUID

from dashin_sdk import AsyncDashin, Dashin
from dashin_sdk.models.enums import JobStatus
from dashin_sdk.models.events import JobEvent, NotificationEvent
from tests.integration.sdk_realtime.conftest import (
    OPTIONS,
    WAIT,
    Consumer,
    listeners,
    wait_for_listeners,
)
from tests.support.factories import Conn, column
from tests.support.identity import ADMIN_A, AGENCY_A, CAMPAIGN_A1, DATA_SOURCE_A, RESEARCHER_A

WORKER = "watch-worker"


def summary(event: JobEvent) -> tuple[str, JobStatus, int, bool]:
    """What the tests compare: kind, status, progress, and whether the job is queued."""
    return (event.kind, event.job.status, event.job.progress, event.job.run_after is not None)


def test_watch_follows_the_job_to_completion(dx: Dashin) -> None:
    researcher = dx.as_user(RESEARCHER_A)
    job = researcher.jobs.create(DATA_SOURCE_A, {"titles": ["CTO"]}, campaign_id=CAMPAIGN_A1)
    watch = Consumer(researcher.jobs.watch(job.id))

    assert summary(watch.next()) == ("snapshot", JobStatus.PENDING, 0, False)
    researcher.jobs.start(job.id)
    assert summary(watch.next()) == ("update", JobStatus.PENDING, 0, True)
    assert dx.queue.claim_next(WORKER) is not None
    running = watch.next()
    assert summary(running) == ("update", JobStatus.RUNNING, 0, True)
    assert running.job.worker_id == WORKER
    dx.queue.checkpoint(
        job.id,
        WORKER,
        checkpoint={"page": 2},
        progress=40,
        records_processed=20,
        records_qualified=12,
        records_rejected=8,
    )
    checkpointed = watch.next()
    assert summary(checkpointed) == ("update", JobStatus.RUNNING, 40, True)
    assert checkpointed.job.records_processed == 20
    dx.queue.complete(job.id, WORKER)
    completed = watch.next()
    assert summary(completed) == ("update", JobStatus.COMPLETED, 100, True)
    assert completed.is_terminal
    assert watch.ended()
    assert researcher.jobs.wait(job.id) == completed.job  # an ended job: the snapshot only


def test_async_watch_follows_the_job_to_completion(fresh_db_url: str) -> None:
    async def scenario() -> list[tuple[str, JobStatus, int, bool]]:
        async with AsyncDashin(database_url=fresh_db_url, options=OPTIONS) as dx:
            researcher = dx.as_user(RESEARCHER_A)
            job = await researcher.jobs.create(DATA_SOURCE_A, {"q": "cto"})
            events: asyncio.Queue[JobEvent] = asyncio.Queue()

            async def watch() -> None:
                async for event in researcher.jobs.watch(job.id):
                    await events.put(event)

            async def next_event() -> tuple[str, JobStatus, int, bool]:
                return summary(await asyncio.wait_for(events.get(), WAIT))

            watching = asyncio.create_task(watch())
            seen = [await next_event()]
            await researcher.jobs.start(job.id)
            seen.append(await next_event())
            await dx.queue.claim_next(WORKER)
            seen.append(await next_event())
            await dx.queue.checkpoint(
                job.id,
                WORKER,
                checkpoint={"page": 1},
                progress=70,
                records_processed=7,
                records_qualified=7,
                records_rejected=0,
            )
            seen.append(await next_event())
            await dx.queue.complete(job.id, WORKER)
            seen.append(await next_event())
            await asyncio.wait_for(watching, WAIT)  # the watch ends by itself
            assert events.empty()
            return seen

    assert asyncio.run(scenario()) == [
        ("snapshot", JobStatus.PENDING, 0, False),
        ("update", JobStatus.PENDING, 0, True),
        ("update", JobStatus.RUNNING, 0, True),
        ("update", JobStatus.RUNNING, 70, True),
        ("update", JobStatus.COMPLETED, 100, True),
    ]


def test_watch_survives_a_killed_listener(dx: Dashin, conn: Conn) -> None:
    researcher = dx.as_user(RESEARCHER_A)
    job = researcher.jobs.create(DATA_SOURCE_A, {"q": "cto"})
    researcher.jobs.start(job.id)
    assert dx.queue.claim_next(WORKER) is not None
    watch = Consumer(researcher.jobs.watch(job.id))
    assert summary(watch.next()) == ("snapshot", JobStatus.RUNNING, 0, True)

    [listener] = listeners(conn)
    killed = column(conn, "select pg_terminate_backend(%s)", (listener,))
    assert killed == [True]
    dx.queue.complete(job.id, WORKER)  # while the watch is (re)connecting

    final = watch.next()
    assert summary(final) == ("update", JobStatus.COMPLETED, 100, True)
    assert watch.ended()
    assert listener not in listeners(conn)


def test_watch_reports_pause_and_ends_at_cancel(dx: Dashin) -> None:
    researcher = dx.as_user(RESEARCHER_A)
    job = researcher.jobs.create(DATA_SOURCE_A, {"q": "cto"})
    researcher.jobs.start(job.id)
    assert dx.queue.claim_next(WORKER) is not None
    watch = Consumer(researcher.jobs.watch(job.id))
    assert summary(watch.next()) == ("snapshot", JobStatus.RUNNING, 0, True)
    researcher.jobs.pause(job.id)
    assert watch.next().job.status is JobStatus.PAUSED
    researcher.jobs.cancel(job.id)
    cancelled = watch.next()
    assert (cancelled.kind, cancelled.job.status) == ("update", JobStatus.CANCELLED)
    assert cancelled.job.completed_at is not None
    assert watch.ended()


def test_the_creator_is_streamed_the_completion_notice(dx: Dashin, conn: Conn) -> None:
    researcher, admin = dx.as_user(RESEARCHER_A), dx.as_user(ADMIN_A)
    job = researcher.jobs.create(DATA_SOURCE_A, {"q": "cto"})
    researcher.jobs.start(job.id)
    mine = Consumer(researcher.notifications.stream(), limit=1)
    theirs = Consumer(admin.notifications.stream(), limit=1)
    wait_for_listeners(conn, 2)  # both streams are open: what follows is news to them

    assert dx.queue.claim_next(WORKER) is not None
    dx.queue.complete(job.id, WORKER)
    event: NotificationEvent = mine.next()
    notice = event.notification
    assert notice.user_id == UUID(RESEARCHER_A)
    assert (notice.title, notice.related_entity_id) == ("Scraping job completed", job.id)
    assert mine.ended()  # limit=1: nothing else was taken

    # The admin's stream skipped the researcher's notice: its first item is this later one.
    marker = column(
        conn,
        "insert into public.notifications (user_id, agency_id, title)"
        " values (%s, %s, 'for the admin') returning id",
        (ADMIN_A, AGENCY_A),
    )
    assert theirs.next().notification.id == marker[0]
    assert theirs.ended()
