"""The worker's bookkeeping: progress figures, when batches are written, and how rejected
rows are logged (the first ones in full, then only counted)."""

from __future__ import annotations

import asyncio
from uuid import UUID

from dashin_sdk import AsyncDashin
from functions_py.worker.logs import REJECTION_LINES, JobLog
from functions_py.worker.progress import FlushPolicy, PendingBatch, percent
from tests.integration.worker.conftest import Queue


def test_percent_reaches_100_only_when_the_source_is_done() -> None:
    assert percent(50, 200, done=False) == 25
    assert percent(500, 200, done=False) == 99  # an estimate that was too low
    assert percent(10, None, done=False) == 0
    assert percent(10, None, done=True) == 100


def test_flush_policy_writes_at_most_every_interval_unless_full() -> None:
    now = [0.0]
    policy = FlushPolicy(min_interval=0.5, max_records=3, clock=lambda: now[0])
    pending = PendingBatch(records=[{"email": "a@x.io"}], pages=1)
    assert not policy.due(pending)
    now[0] = 0.5
    assert policy.due(pending)
    policy.written()
    assert not policy.due(pending)
    pending.records.extend([{"email": "b@x.io"}, {"email": "c@x.io"}])
    assert policy.due(pending)  # full
    assert policy.due(PendingBatch(done=True))  # the last page
    assert not FlushPolicy(max_records=50_000).max_records > 10_000  # upsert_leads' limit


def test_rejected_rows_are_listed_then_summarised(queue: Queue) -> None:
    setup = queue.job(queue.tmp_path / "unused.csv", start=False)

    async def write() -> None:
        async with AsyncDashin(database_url=queue.url) as dx:
            journal = JobLog(dx, UUID(setup.job_id), UUID("11111111-1111-4111-8111-111111111111"))
            for n in range(REJECTION_LINES + 30):
                journal.rejected(f"invalid email: person{n}@", line=n + 2)
            journal.summarise_rejections()
            await journal.flush()

    asyncio.run(write())
    rows = queue.sql.execute(
        "select message, details from public.scraping_job_logs"
        " where job_id = %s and message <> 'job created' order by created_at, message",
        (setup.job_id,),
    ).fetchall()
    # One insert: the lines share created_at; the first REJECTION_LINES rows are listed.
    listed = sorted(
        (details for message, details in rows if message == "row rejected"),
        key=lambda details: int(details["line"]),
    )
    assert listed == [
        {"reason": f"invalid email: person{n}@", "line": n + 2} for n in range(REJECTION_LINES)
    ]
    summary = [details for message, details in rows if message.endswith("rejected this run")]
    assert summary == [{"rejected": REJECTION_LINES + 30, "by_reason": {"invalid email": 50}}]
    assert len(rows) == REJECTION_LINES + 2  # the lines, "more rows rejected", the summary
