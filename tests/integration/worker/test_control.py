"""Pause, resume and cancel reach a running worker; SIGTERM hands the job back cleanly."""

from __future__ import annotations

from pathlib import Path

from dashin_sdk.models.enums import JobStatus
from tests.integration.worker.conftest import Queue
from tests.integration.worker.expected import expected_for, sample_csv

PACED = {"pace_seconds": 0.04}
SMALL_BATCHES = {"batch_size": 100}


def test_pause_resume_and_cancel_mid_job(queue: Queue, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=4_000)
    want = expected_for(csv)
    paused_job = queue.job(csv, connector="PacedCsv", config=PACED, job_config=SMALL_BATCHES)
    worker = queue.worker("--lease-seconds", "30", "--concurrency", "1", worker_id="w-ctl")

    queue.wait_for(paused_job.job_id, lambda j: j.progress >= 20)
    queue.admin.jobs.pause(paused_job.job_id)
    # The worker acknowledges: it commits what it fetched and drops the lease.
    at_pause = queue.wait_for(paused_job.job_id, lambda j: j.worker_id is None, timeout=10)
    assert at_pause.status is JobStatus.PAUSED
    assert 0 < at_pause.records_processed < want.rows
    assert queue.campaign_leads(paused_job.campaign_id) < want.unique_valid

    # While it is paused the worker is free: it takes and cancels another agency's job.
    cancelled = queue.job(
        csv, connector="PacedCsv", config=PACED, job_config=SMALL_BATCHES, other_agency=True
    )
    queue.wait_for(cancelled.job_id, lambda j: j.records_processed > 0)
    queue.other_admin.jobs.cancel(cancelled.job_id)
    gone = queue.wait_for(cancelled.job_id, lambda j: j.worker_id is None, timeout=10)
    assert gone.status is JobStatus.CANCELLED
    kept = queue.campaign_leads(cancelled.campaign_id)
    assert 0 < kept < want.unique_valid  # partial results stay
    assert queue.get(paused_job.job_id).records_processed == at_pause.records_processed

    queue.admin.jobs.resume(paused_job.job_id)
    done = queue.wait_for(paused_job.job_id, lambda j: j.status.is_terminal)
    queue.terminate(worker)

    assert done.status is JobStatus.COMPLETED
    assert done.records_processed == want.rows
    assert done.records_rejected == want.rejected
    assert done.records_qualified == want.qualified
    assert queue.campaign_leads(paused_job.campaign_id) == want.unique_valid
    assert queue.duplicate_emails(paused_job.campaign_id) == 0
    assert queue.campaign_leads(cancelled.campaign_id) == kept  # nothing after the cancel
    assert queue.workers_of(paused_job.job_id) == ["w-ctl", "w-ctl"]


def test_sigterm_releases_the_job_which_resumes_from_its_checkpoint(
    queue: Queue, tmp_path: Path
) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=4_000)
    want = expected_for(csv)
    # Pages big enough for the pooled normalising of the second worker (below).
    setup = queue.job(
        csv, connector="PacedCsv", config={"pace_seconds": 0.08}, job_config={"batch_size": 200}
    )
    worker = queue.worker("--lease-seconds", "60", worker_id="w-term")
    queue.wait_for(setup.job_id, lambda j: j.progress >= 30)

    output = queue.terminate(worker)

    released = queue.get(setup.job_id)
    assert released.status is JobStatus.PENDING, output
    assert released.worker_id is None
    assert released.lease_expires_at is None
    assert released.attempts == 0  # a shutdown is not a failed attempt
    assert released.checkpoint is not None
    assert not released.checkpoint["done"]
    assert 0 < released.records_processed < want.rows
    logs = queue.sql.execute(
        "select message from public.scraping_job_logs where job_id = %s", (setup.job_id,)
    ).fetchall()
    assert ("worker w-term stopped: shutdown",) in logs

    # The next worker normalises in a separate process (the path for machines with CPUs
    # to spare); the outcome must be the same.
    queue.finish(queue.worker("--burst", "--transform-processes", "1", worker_id="w-next"))
    done = queue.get(setup.job_id)
    assert done.status is JobStatus.COMPLETED
    assert done.records_processed == want.rows
    assert done.records_rejected == want.rejected
    assert done.records_qualified == want.qualified
    assert queue.campaign_leads(setup.campaign_id) == want.unique_valid
    assert queue.duplicate_emails(setup.campaign_id) == 0
    assert queue.leads_count_column(setup.campaign_id) == want.unique_valid
