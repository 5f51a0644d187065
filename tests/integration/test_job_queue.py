"""The job lifecycle (users) and the worker protocol (service_role) of scraping jobs."""

from __future__ import annotations

import uuid
from typing import Any

import psycopg
import pytest

from tests.support import factories
from tests.support.factories import Conn
from tests.support.identity import (
    A_ADMIN,
    A_CLIENT,
    A_RESEARCHER,
    AGENCY_A,
    B_RESEARCHER,
    CAMPAIGN_A1,
    DATA_SOURCE_A,
    RESEARCHER_A,
    Identity,
    acting_as,
    as_service_role,
)

Row = dict[str, Any]

JOB_COLUMNS = (
    "id::text, status::text, progress, records_processed, records_qualified, records_rejected,"
    " started_at, completed_at, duration_seconds, run_after, worker_id, lease_expires_at,"
    " attempts, checkpoint, error_count, errors"
)
WORKER = "worker-1"


def as_row(cur: psycopg.Cursor[Any]) -> Row:
    assert cur.description is not None
    row = cur.fetchone()
    assert row is not None
    return dict(zip((d.name for d in cur.description), row, strict=True))


def job(conn: Conn, job_id: str) -> Row:
    cur = conn.execute(
        f"select {JOB_COLUMNS} from public.scraping_jobs where id = %s",
        (job_id,),
    )
    return as_row(cur)


def create_job(conn: Conn, actor: Identity = A_RESEARCHER) -> str:
    with acting_as(conn, actor) as cur:
        cur.execute(
            "insert into public.scraping_jobs (data_source_id, campaign_id) values (%s, %s)"
            " returning id::text",
            (DATA_SOURCE_A, CAMPAIGN_A1),
        )
        return str(as_row(cur)["id"])


def user_call(conn: Conn, actor: Identity, fn: str, job_id: str) -> Row:
    with acting_as(conn, actor) as cur:
        cur.execute(
            f"select {JOB_COLUMNS} from public.{fn}(%s)",
            (job_id,),
        )
        return as_row(cur)


def worker_call(conn: Conn, query: str, *params: Any) -> Any:
    with as_service_role(conn) as cur:
        cur.execute(query, params)
        row = cur.fetchone()
    return None if row is None else row[0]


def claim(conn: Conn, worker: str = WORKER) -> str | None:
    found = worker_call(conn, "select id::text from public.claim_next_job(%s, 60)", worker)
    return None if found is None else str(found)


def sqlstate_of(conn: Conn, fn: Any) -> str | None:
    try:
        fn()
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def data_source_metrics(conn: Conn) -> tuple[int, int, int, int]:
    row = conn.execute(
        "select total_jobs, successful_jobs, failed_jobs, total_records_scraped"
        " from public.data_sources where id = %s",
        (DATA_SOURCE_A,),
    ).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def notifications_about(conn: Conn, job_id: str) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select user_id::text, type::text, title, message, related_entity_type, action_url"
        " from public.notifications where related_entity_id = %s order by created_at",
        (job_id,),
    ).fetchall()


def test_full_lifecycle_with_pause_resume_and_completion(conn: Conn) -> None:
    metrics_before = data_source_metrics(conn)
    job_id = create_job(conn)
    created = job(conn, job_id)
    assert (created["status"], created["run_after"], created["attempts"]) == ("pending", None, 0)
    assert claim(conn) is None, "an unstarted job is not runnable"

    started = user_call(conn, A_RESEARCHER, "start_job", job_id)
    assert started["status"] == "pending"
    assert started["run_after"] is not None

    assert claim(conn) == job_id
    running = job(conn, job_id)
    assert (running["status"], running["worker_id"], running["attempts"]) == ("running", WORKER, 1)
    assert running["started_at"] is not None
    assert running["lease_expires_at"] > running["started_at"]

    status = worker_call(
        conn,
        "select public.checkpoint_job(%s, %s, '{\"page\": 2}', 40, 10, 4, 2, 60)",
        job_id,
        WORKER,
    )
    assert status == "running"

    paused = user_call(conn, A_RESEARCHER, "pause_job", job_id)
    assert paused["status"] == "paused"
    assert worker_call(conn, "select public.heartbeat_job(%s, %s, 60)", job_id, WORKER) == "paused"
    released = worker_call(
        conn, "select (status, worker_id)::text from public.release_job(%s, %s)", job_id, WORKER
    )
    assert released == "(paused,)"
    assert job(conn, job_id)["worker_id"] is None

    resumed = user_call(conn, A_RESEARCHER, "resume_job", job_id)
    assert (resumed["status"], resumed["attempts"]) == ("pending", 0)
    assert resumed["checkpoint"] == {"page": 2}

    assert claim(conn, "worker-2") == job_id
    worker_call(
        conn,
        "select public.checkpoint_job(%s, %s, '{\"page\": 5}', 90, 25, 10, 5, 60)",
        job_id,
        "worker-2",
    )
    done = worker_call(
        conn,
        "select status::text from public.complete_job(%s, %s, 'https://files.example/r.csv')",
        job_id,
        "worker-2",
    )
    assert done == "completed"
    final = job(conn, job_id)
    assert final["progress"] == 100
    assert final["worker_id"] is None
    assert final["lease_expires_at"] is None
    assert final["completed_at"] >= final["started_at"]
    assert final["started_at"] == running["started_at"], "a resume keeps the first start"
    expected_duration = int((final["completed_at"] - final["started_at"]).total_seconds() + 0.5)
    assert abs(final["duration_seconds"] - expected_duration) <= 1

    assert notifications_about(conn, job_id) == [
        (
            RESEARCHER_A,
            "success",
            "Scraping job completed",
            "25 records processed, 10 qualified, 5 rejected",
            "scraping_job",
            f"/jobs/{job_id}",
        )
    ]
    total, ok, failed, records = metrics_before
    assert data_source_metrics(conn) == (total + 1, ok + 1, failed, records + 25)

    messages = [
        r[0]
        for r in conn.execute(
            "select message from public.scraping_job_logs where job_id = %s order by created_at",
            (job_id,),
        )
    ]
    assert messages[0] == "job created"
    assert {"job running", "job paused", "job pending", "job completed"} <= set(messages)


def test_fail_and_retry(conn: Conn) -> None:
    job_id = create_job(conn)
    user_call(conn, A_RESEARCHER, "start_job", job_id)
    assert claim(conn) == job_id
    retried = worker_call(
        conn,
        "select row(status::text, run_after > now() + interval '20 seconds', attempts)::text"
        " from public.fail_job(%s, %s, 'rate limited', true)",
        job_id,
        WORKER,
    )
    assert retried == "(pending,t,1)"
    assert claim(conn) is None, "a retry waits for its backoff"
    conn.execute("update public.scraping_jobs set run_after = now() where id = %s", (job_id,))
    assert claim(conn) == job_id
    worker_call(
        conn,
        "select public.checkpoint_job(%s, %s, '{}', 50, 7, 1, 1, 60)",
        job_id,
        WORKER,
    )
    worker_call(
        conn,
        "select status::text from public.fail_job(%s, %s, 'bad credentials', false,"
        " '{\"http\": 401}')",
        job_id,
        WORKER,
    )
    failed = job(conn, job_id)
    assert failed["status"] == "failed"
    assert failed["error_count"] == 2
    assert [e["message"] for e in failed["errors"]] == ["rate limited", "bad credentials"]
    assert failed["errors"][-1]["details"] == {"http": 401}
    assert failed["completed_at"] is not None
    assert failed["records_processed"] == 7, "partial results are kept"
    notes = notifications_about(conn, job_id)
    assert [(n[1], n[2]) for n in notes] == [("error", "Scraping job failed")]
    assert notes[0][3].endswith(": bad credentials")
    assert data_source_metrics(conn)[2] == 1
    assert data_source_metrics(conn)[3] == 7


def test_release_gives_the_attempt_back(conn: Conn) -> None:
    job_id = create_job(conn)
    user_call(conn, A_RESEARCHER, "start_job", job_id)
    assert claim(conn) == job_id
    released = worker_call(
        conn,
        "select row(status::text, attempts, worker_id)::text from public.release_job(%s, %s)",
        job_id,
        WORKER,
    )
    assert released == "(pending,0,)"
    assert claim(conn, "worker-2") == job_id


def test_cancel_by_a_user(conn: Conn) -> None:
    pending = create_job(conn)
    assert user_call(conn, A_RESEARCHER, "cancel_job", pending)["status"] == "cancelled"
    running = create_job(conn)
    user_call(conn, A_RESEARCHER, "start_job", running)
    assert claim(conn) == running
    cancelled = user_call(conn, A_ADMIN, "cancel_job", running)
    assert cancelled["status"] == "cancelled"
    assert cancelled["completed_at"] is not None
    # The worker keeps the job until it acknowledges the cancel (release_job).
    assert cancelled["worker_id"] == "worker-1"
    assert notifications_about(conn, running) == []


def test_heartbeat_reports_a_cancel(conn: Conn) -> None:
    job_id = create_job(conn)
    user_call(conn, A_RESEARCHER, "start_job", job_id)
    assert claim(conn) == job_id
    user_call(conn, A_RESEARCHER, "cancel_job", job_id)
    assert worker_call(conn, "select public.heartbeat_job(%s, %s, 60)", job_id, WORKER) == (
        "cancelled"
    )
    released = worker_call(
        conn, "select (status, worker_id)::text from public.release_job(%s, %s)", job_id, WORKER
    )
    assert released == "(cancelled,)"


# Illegal transitions: (steps to reach a state, user call) -> PT409.
def reach(conn: Conn, state: str) -> str:
    job_id = create_job(conn)
    if state == "pending":
        return job_id
    user_call(conn, A_RESEARCHER, "start_job", job_id)
    if state == "queued":
        return job_id
    assert claim(conn) == job_id
    if state == "running":
        return job_id
    if state == "paused":
        user_call(conn, A_RESEARCHER, "pause_job", job_id)
    elif state == "completed":
        worker_call(conn, "select 1 from public.complete_job(%s, %s)", job_id, WORKER)
    elif state == "failed":
        worker_call(conn, "select 1 from public.fail_job(%s, %s, 'x')", job_id, WORKER)
    elif state == "cancelled":
        user_call(conn, A_RESEARCHER, "cancel_job", job_id)
    return job_id


ILLEGAL = [
    ("queued", "start_job"),
    ("running", "start_job"),
    ("pending", "pause_job"),
    ("running", "resume_job"),
    ("completed", "cancel_job"),
    ("completed", "resume_job"),
    ("completed", "pause_job"),
    ("failed", "resume_job"),
    ("failed", "cancel_job"),
    ("cancelled", "resume_job"),
    ("cancelled", "start_job"),
    ("paused", "start_job"),
]


@pytest.mark.parametrize(("state", "fn"), ILLEGAL, ids=[f"{s}-{f}" for s, f in ILLEGAL])
def test_illegal_user_transitions_raise_pt409(conn: Conn, state: str, fn: str) -> None:
    job_id = reach(conn, state)
    before = job(conn, job_id)
    code = sqlstate_of(conn, lambda: user_call(conn, A_RESEARCHER, fn, job_id))
    assert code == "PT409"
    assert job(conn, job_id) == before


@pytest.mark.parametrize("status", ["running", "completed", "failed"])
def test_users_cannot_set_worker_statuses_directly(conn: Conn, status: str) -> None:
    job_id = reach(conn, "queued" if status == "running" else "running")

    def update() -> None:
        with acting_as(conn, A_RESEARCHER) as cur:
            cur.execute(
                "update public.scraping_jobs set status = %s where id = %s", (status, job_id)
            )

    assert sqlstate_of(conn, update) == "PT409"


def test_workers_need_the_lease(conn: Conn) -> None:
    job_id = reach(conn, "running")
    calls = [
        "select public.heartbeat_job(%s, 'intruder', 60)",
        "select public.checkpoint_job(%s, 'intruder', '{}', 1, 1, 0, 0, 60)",
        "select 1 from public.complete_job(%s, 'intruder')",
        "select 1 from public.fail_job(%s, 'intruder', 'x')",
        "select 1 from public.release_job(%s, 'intruder')",
    ]
    for call in calls:
        assert sqlstate_of(conn, lambda c=call: worker_call(conn, c, job_id)) == "PT409", call
    assert job(conn, job_id)["worker_id"] == WORKER


def test_unknown_jobs_raise_p0002(conn: Conn) -> None:
    unknown = str(uuid.uuid4())
    for fn in ("start_job", "pause_job", "resume_job", "cancel_job"):
        assert sqlstate_of(conn, lambda f=fn: user_call(conn, A_RESEARCHER, f, unknown)) == "P0002"
    for call in (
        "select public.heartbeat_job(%s, 'w', 60)",
        "select public.checkpoint_job(%s, 'w', '{}', 1, 1, 0, 0, 60)",
        "select 1 from public.complete_job(%s, 'w')",
        "select 1 from public.fail_job(%s, 'w', 'x')",
        "select 1 from public.release_job(%s, 'w')",
    ):
        assert sqlstate_of(conn, lambda c=call: worker_call(conn, c, unknown)) == "P0002", call


@pytest.mark.parametrize("actor", [B_RESEARCHER, A_CLIENT], ids=str)
def test_jobs_of_others_are_not_found(conn: Conn, actor: Identity) -> None:
    job_id = create_job(conn)
    for fn in ("start_job", "pause_job", "cancel_job"):
        assert sqlstate_of(conn, lambda f=fn: user_call(conn, actor, f, job_id)) == "P0002"
    assert job(conn, job_id)["run_after"] is None


@pytest.mark.parametrize(
    "call",
    [
        "select 1 from public.claim_next_job('w', 60)",
        "select public.heartbeat_job(gen_random_uuid(), 'w', 60)",
        "select 1 from public.complete_job(gen_random_uuid(), 'w')",
    ],
    ids=["claim", "heartbeat", "complete"],
)
def test_worker_functions_are_service_role_only(conn: Conn, call: str) -> None:
    def run() -> None:
        with acting_as(conn, A_ADMIN) as cur:
            cur.execute(call)

    assert sqlstate_of(conn, run) == "42501"


def test_claim_validates_its_arguments(conn: Conn) -> None:
    for call in (
        "select 1 from public.claim_next_job('', 60)",
        "select 1 from public.claim_next_job('w', 1)",
        "select 1 from public.claim_next_job('w', 7200)",
    ):
        assert sqlstate_of(conn, lambda c=call: worker_call(conn, c)) == "22023", call


def test_claim_takes_the_oldest_runnable_job(conn: Conn) -> None:
    first = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A)
    second = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A)
    conn.execute(
        "update public.scraping_jobs set run_after = now() - interval '1 hour' where id = %s",
        (second,),
    )
    conn.execute(
        "update public.scraping_jobs set run_after = now() - interval '1 minute' where id = %s",
        (first,),
    )
    assert [claim(conn), claim(conn), claim(conn)] == [second, first, None]
