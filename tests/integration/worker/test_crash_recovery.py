"""A worker killed with SIGKILL half way: another reclaims the job after the lease and
finishes it from the checkpoint, with every lead exactly once and the counters exact."""

from __future__ import annotations

import signal
from pathlib import Path

from dashin_sdk.models.enums import JobStatus
from tests.integration.worker.conftest import Queue
from tests.integration.worker.expected import Expected, expected_for, sample_csv


def test_sigkill_half_way_then_another_worker_finishes(queue: Queue, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    stats = sample_csv(csv, rows=20_000)
    want: Expected = expected_for(csv)
    assert want.unique_valid == stats.unique_valid_leads  # the generator and the file agree
    # 80 paced batches of 250: about 4 s of work, so "half way" is easy to catch.
    setup = queue.job(
        csv, connector="PacedCsv", config={"pace_seconds": 0.04}, job_config={"batch_size": 250}
    )

    first = queue.worker("--lease-seconds", "5", "--concurrency", "1", worker_id="doomed")
    queue.wait_for(setup.job_id, lambda j: j.progress >= 40)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    stranded = queue.get(setup.job_id)
    assert stranded.status is JobStatus.RUNNING
    assert stranded.worker_id == "doomed"
    assert 0 < stranded.records_processed < want.rows

    # Claimable once the dead worker's lease runs out.
    queue.wait_for(setup.job_id, lambda j: j.lease_expires_at is not None and _expired(queue, j.id))
    second = queue.worker("--lease-seconds", "5", "--burst", worker_id="rescuer")
    queue.finish(second)

    job = queue.get(setup.job_id)
    assert job.status is JobStatus.COMPLETED
    assert job.progress == 100
    assert job.attempts == 2
    assert queue.workers_of(setup.job_id) == ["doomed", "rescuer"]
    assert queue.campaign_leads(setup.campaign_id) == want.unique_valid
    assert queue.duplicate_emails(setup.campaign_id) == 0
    assert queue.leads_count_column(setup.campaign_id) == want.unique_valid
    assert job.records_processed == want.rows
    assert job.records_rejected == want.rejected
    assert job.records_qualified == want.qualified


def _expired(queue: Queue, job_id: object) -> bool:
    row = queue.sql.execute(
        "select lease_expires_at < now() from public.scraping_jobs where id = %s", (str(job_id),)
    ).fetchone()
    return bool(row and row[0])
