"""``dx.jobs`` and ``dx.queue`` on the direct backend: lifecycle, logs, the worker's queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import pytest

from dashin_sdk import (
    Dashin,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from dashin_sdk.models.enums import JobStatus, LogLevel
from dashin_sdk.models.tables import ScrapingJob
from tests.integration.sdk.conftest import AsUser
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    DATA_SOURCE_A,
    DATA_SOURCE_B,
    RESEARCHER_A,
)

WORKER = "worker-1"


def test_create_takes_the_agency_from_the_data_source(dx: Dashin, as_user: AsUser) -> None:
    researcher = as_user(RESEARCHER_A)
    job = researcher.jobs.create(
        DATA_SOURCE_A,
        {"titles": ["CTO"]},
        campaign_id=CAMPAIGN_A1,
        config={"limit": 10},
        max_attempts=5,
    )
    assert job.agency_id == UUID(AGENCY_A)
    assert (job.status, job.run_after, job.progress) == (JobStatus.PENDING, None, 0)
    assert job.search_criteria == {"titles": ["CTO"]}
    assert (job.config, job.max_attempts) == ({"limit": 10}, 5)
    assert job.created_by == UUID(RESEARCHER_A)
    assert researcher.jobs.get(job.id) == job
    # The service role has no agency of its own: the source's is used all the same.
    assert (
        dx.jobs.create(DATA_SOURCE_B, {}).agency_id == dx.data_sources.get(DATA_SOURCE_B).agency_id
    )
    with pytest.raises(NotFoundError):
        researcher.jobs.create(DATA_SOURCE_B, {})
    with pytest.raises(ValidationError) as caught:
        researcher.jobs.create("nope", {})
    assert caught.value.field == "data_source_id"


def test_list_filters(as_user: AsUser, conn: Conn) -> None:
    a = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, campaign_id=CAMPAIGN_A1)
    b = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, campaign_id=CAMPAIGN_A2)
    other_source = factories.create_data_source(conn, AGENCY_A, "second")
    c = factories.create_job(conn, AGENCY_A, other_source)
    conn.execute("update public.scraping_jobs set status = 'cancelled' where id = %s", (b,))
    admin = as_user(ADMIN_A)

    def ids(**filters: Any) -> set[UUID]:
        return {j.id for j in admin.jobs.list(**filters).data}

    assert ids() == {UUID(a), UUID(b), UUID(c)}
    assert ids(status="cancelled") == {UUID(b)}
    assert ids(status=JobStatus.PENDING) == {UUID(a), UUID(c)}
    assert ids(data_source_id=other_source) == {UUID(c)}
    assert ids(campaign_id=CAMPAIGN_A1) == {UUID(a)}
    ordered = [j.id for j in admin.jobs.list(sort_by="created_at", sort_order="asc").data]
    assert ordered == [UUID(a), UUID(b), UUID(c)]
    with pytest.raises(ValidationError) as caught:
        admin.jobs.list(status="exploded")
    assert caught.value.field == "status"


Transition = Callable[[Dashin, str], ScrapingJob]
START: Transition = lambda c, j: c.jobs.start(j)  # noqa: E731
PAUSE: Transition = lambda c, j: c.jobs.pause(j)  # noqa: E731
RESUME: Transition = lambda c, j: c.jobs.resume(j)  # noqa: E731
CANCEL: Transition = lambda c, j: c.jobs.cancel(j)  # noqa: E731


def job_in(conn: Conn, status: str, *, queued: bool = False) -> str:
    """A job of agency A put into ``status`` directly (as a worker would have)."""
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=queued)
    if status != "pending":
        conn.execute(
            "update public.scraping_jobs set status = 'running', run_after = now(),"
            " worker_id = 'w', lease_expires_at = now() + interval '1 minute' where id = %s",
            (job_id,),
        )
        if status != "running":
            conn.execute(
                "update public.scraping_jobs set status = %s where id = %s", (status, job_id)
            )
    return job_id


@pytest.mark.parametrize(
    ("status", "queued", "action", "expected"),
    [
        ("pending", False, START, "pending"),
        ("pending", False, CANCEL, "cancelled"),
        ("running", False, PAUSE, "paused"),
        ("running", False, CANCEL, "cancelled"),
        ("paused", False, RESUME, "pending"),
        ("paused", False, CANCEL, "cancelled"),
    ],
)
def test_legal_transitions(
    as_user: AsUser,
    conn: Conn,
    status: str,
    queued: bool,
    action: Transition,
    expected: str,
) -> None:
    job_id = job_in(conn, status, queued=queued)
    job = action(as_user(RESEARCHER_A), job_id)
    assert job.status == JobStatus(expected)
    assert column(
        conn, "select status::text from public.scraping_jobs where id = %s", (job_id,)
    ) == [expected]


def test_start_queues_the_job(as_user: AsUser, conn: Conn) -> None:
    job_id = job_in(conn, "pending")
    assert as_user(ADMIN_A).jobs.start(job_id).run_after is not None


@pytest.mark.parametrize(
    ("status", "queued", "action"),
    [
        ("pending", True, START),  # already queued
        ("pending", False, PAUSE),
        ("pending", False, RESUME),
        ("running", False, START),
        ("running", False, RESUME),
        ("paused", False, PAUSE),
        ("paused", False, START),
        ("completed", False, CANCEL),
        ("completed", False, RESUME),
        ("failed", False, PAUSE),
        ("cancelled", False, CANCEL),
        ("cancelled", False, START),
    ],
)
def test_illegal_transitions_are_invalid_state(
    as_user: AsUser, conn: Conn, status: str, queued: bool, action: Transition
) -> None:
    job_id = job_in(conn, status, queued=queued)
    with pytest.raises(InvalidStateError) as caught:
        action(as_user(ADMIN_A), job_id)
    assert caught.value.code == "PT409"
    assert column(
        conn, "select status::text from public.scraping_jobs where id = %s", (job_id,)
    ) == [status]


def test_transitions_of_unknown_jobs(as_user: AsUser) -> None:
    with pytest.raises(NotFoundError):
        as_user(ADMIN_A).jobs.start("99999999-9999-4999-8999-999999999999")


def test_logs_filter_by_level_and_page_oldest_first(
    dx: Dashin, as_user: AsUser, conn: Conn
) -> None:
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A)
    levels = ["info", "debug", "warning", "info", "error", "info"]
    written = dx.queue.add_logs(
        job_id, AGENCY_A, [(level, f"line {n}", {"n": n}) for n, level in enumerate(levels)]
    )
    assert written == len(levels)
    oracle = column(
        conn,
        "select message from public.scraping_job_logs where job_id = %s order by created_at, id",
        (job_id,),
    )
    # Lines written by one add_logs() share created_at; id breaks the tie (not input order).
    assert sorted(m for m in oracle if m.startswith("line ")) == [f"line {n}" for n in range(6)]
    admin = as_user(ADMIN_A)
    page = admin.jobs.logs(job_id, page_size=4)
    assert page.meta.total == len(oracle)
    assert [log.message for log in page.iter_all()] == oracle
    infos = admin.jobs.logs(job_id, level="info")
    assert sorted(log.details["n"] for log in infos.data if log.message.startswith("line")) == [
        0,
        3,
        5,
    ]
    assert {log.level for log in infos.data} == {LogLevel.INFO}
    second = admin.jobs.logs(job_id, page=2, page_size=4)
    assert [log.message for log in second.data] == oracle[4:8]
    with pytest.raises(ValidationError) as caught:
        admin.jobs.logs(job_id, level="fatal")
    assert caught.value.field == "level"


def test_queue_round_trip(dx: Dashin, conn: Conn) -> None:
    assert dx.queue.claim_next(WORKER) is None  # nothing queued
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True)

    claimed = dx.queue.claim_next(WORKER, lease_seconds=30)
    assert claimed is not None
    assert (claimed.id, claimed.status, claimed.worker_id) == (
        UUID(job_id),
        JobStatus.RUNNING,
        WORKER,
    )
    assert claimed.attempts == 1
    assert dx.queue.heartbeat(job_id, WORKER) is JobStatus.RUNNING
    status = dx.queue.checkpoint(
        job_id,
        WORKER,
        checkpoint={"page": 2},
        progress=40,
        records_processed=100,
        records_qualified=30,
        records_rejected=5,
    )
    assert status is JobStatus.RUNNING
    job = dx.jobs.get(job_id)
    assert (job.checkpoint, job.progress, job.records_processed) == ({"page": 2}, 40, 100)

    with pytest.raises(InvalidStateError):
        dx.queue.heartbeat(job_id, "someone-else")

    released = dx.queue.release(job_id, WORKER)
    assert (released.status, released.worker_id) == (JobStatus.PENDING, None)
    assert released.attempts == 0  # a release does not count an attempt

    assert dx.queue.claim_next(WORKER) is not None
    done = dx.queue.complete(job_id, WORKER, result_file_url="s3://r.csv")
    assert (done.status, done.progress, done.result_file_url) == (
        JobStatus.COMPLETED,
        100,
        "s3://r.csv",
    )
    assert done.completed_at is not None


def test_queue_fail_retries_then_gives_up(dx: Dashin, conn: Conn) -> None:
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True, max_attempts=2)
    assert dx.queue.claim_next(WORKER) is not None
    retried = dx.queue.fail(job_id, WORKER, "timeout", retryable=True, details={"code": 504})
    assert retried.status is JobStatus.PENDING
    assert retried.error_count == 1
    assert retried.errors[-1]["message"] == "timeout"
    conn.execute("update public.scraping_jobs set run_after = now() where id = %s", (job_id,))
    assert dx.queue.claim_next(WORKER) is not None
    failed = dx.queue.fail(job_id, WORKER, "timeout again", retryable=True)
    assert failed.status is JobStatus.FAILED  # attempts exhausted


def test_queue_fail_waits_as_long_as_the_provider_asked(dx: Dashin, conn: Conn) -> None:
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True)
    assert dx.queue.claim_next(WORKER) is not None
    failed_at = factories.scalar(conn, "select now()")
    retried = dx.queue.fail(job_id, WORKER, "429 from Apollo", retryable=True, retry_after=900)
    assert retried.status is JobStatus.PENDING
    assert retried.errors[-1]["details"] == {"retry_after_seconds": 900}
    # The usual first backoff is 24-36 s; the provider asked for 15 minutes.
    assert retried.run_after is not None
    assert 900 <= (retried.run_after - failed_at).total_seconds() < 910

    # Without a Retry-After, the usual backoff; a malformed value is kept but ignored.
    conn.execute("update public.scraping_jobs set run_after = now() where id = %s", (job_id,))
    assert dx.queue.claim_next(WORKER) is not None
    failed_at = factories.scalar(conn, "select now()")
    again = dx.queue.fail(
        job_id, WORKER, "503", retryable=True, details={"retry_after_seconds": "soon"}
    )
    assert again.run_after is not None
    assert 48 <= (again.run_after - failed_at).total_seconds() <= 73  # 60 s +-20 %


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda q: q.claim_next(" "), "worker_id"),
        (lambda q: q.claim_next(WORKER, lease_seconds=1), "lease_seconds"),
        (
            lambda q: q.checkpoint(
                DATA_SOURCE_A,
                WORKER,
                checkpoint={},
                progress=101,
                records_processed=0,
                records_qualified=0,
                records_rejected=0,
            ),
            "progress",
        ),
        (lambda q: q.add_logs(DATA_SOURCE_A, AGENCY_A, [("loud", "x", {})]), "level"),
    ],
)
def test_queue_rejects_bad_arguments(dx: Dashin, call: Callable[[Any], Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        call(dx.queue)
    assert caught.value.field == field


def test_queue_is_service_role_only(as_user: AsUser, conn: Conn) -> None:
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, started=True)
    admin = as_user(ADMIN_A)
    with pytest.raises(PermissionDeniedError):
        admin.queue.claim_next(WORKER)
    with pytest.raises(PermissionDeniedError):
        admin.queue.heartbeat(job_id, WORKER)
    with pytest.raises(PermissionDeniedError):
        admin.queue.complete(job_id, WORKER)
    with pytest.raises(PermissionDeniedError):
        admin.queue.add_logs(job_id, AGENCY_A, [("info", "x", {})])
    assert column(
        conn, "select status::text from public.scraping_jobs where id = %s", (job_id,)
    ) == ["pending"]
