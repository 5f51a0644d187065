"""Connector errors: a transient one is retried (with the SQL's backoff) and then succeeds;
a permanent one fails the job and keeps what was imported; refused credentials also mark
the data source."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from dashin_sdk.models.enums import DataSourceStatus, JobStatus
from tests.integration.worker.conftest import Queue
from tests.integration.worker.expected import expected_for, sample_csv


def test_transient_failure_is_retried_then_succeeds(queue: Queue, tmp_path: Path) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=1_000)
    want = expected_for(csv)
    marker = tmp_path / "failed-once"
    setup = queue.job(
        csv, connector="FlakyCsv", config={"marker": str(marker)}, job_config={"batch_size": 200}
    )

    queue.finish(queue.worker("--burst", worker_id="w-flaky"))
    retrying = queue.get(setup.job_id)
    assert marker.exists()
    assert retrying.status is JobStatus.PENDING
    assert retrying.error_count == 1
    assert retrying.errors[0]["retryable"] is True
    assert "503" in retrying.errors[0]["message"]
    assert retrying.run_after is not None
    assert retrying.run_after > retrying.updated_at

    queue.run_now(setup.job_id)
    queue.finish(queue.worker("--burst", worker_id="w-flaky"))
    done = queue.get(setup.job_id)
    assert done.status is JobStatus.COMPLETED
    assert done.attempts == 2
    assert done.records_processed == want.rows
    assert done.records_qualified == want.qualified
    assert queue.campaign_leads(setup.campaign_id) == want.unique_valid
    assert queue.duplicate_emails(setup.campaign_id) == 0


def test_a_rate_limited_job_is_not_retried_before_the_provider_said(
    queue: Queue, tmp_path: Path
) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=400)
    setup = queue.job(
        csv,
        connector="FlakyCsv",
        config={"marker": str(tmp_path / "failed-once"), "retry_after": 1200},
        job_config={"batch_size": 200},
    )

    queue.finish(queue.worker("--burst", worker_id="w-limited"))
    retrying = queue.get(setup.job_id)
    assert retrying.status is JobStatus.PENDING
    assert retrying.errors[0]["details"]["retry_after_seconds"] == 1200
    # The first backoff alone would be 24-36 s.
    assert retrying.run_after is not None
    assert retrying.run_after - retrying.updated_at >= timedelta(seconds=1200)


def test_permanent_failure_fails_the_job_and_keeps_partial_results(
    queue: Queue, tmp_path: Path
) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=1_000)
    want = expected_for(csv)
    setup = queue.job(
        csv,
        connector="BrokenCsv",
        config={"fail_after_line": 400},
        job_config={"batch_size": 100, "flush_records": 100},
    )

    queue.finish(queue.worker("--burst", worker_id="w-broken"))

    job = queue.get(setup.job_id)
    assert job.status is JobStatus.FAILED
    assert job.error_count == 1
    assert job.errors[0]["retryable"] is False
    assert "400 bad query" in job.errors[0]["message"]
    assert 0 < job.records_processed < want.rows
    kept = queue.campaign_leads(setup.campaign_id)
    assert 0 < kept < want.unique_valid
    assert queue.leads_count_column(setup.campaign_id) == kept
    errors = queue.sql.execute(
        "select message from public.scraping_job_logs where job_id = %s and level = 'error'",
        (setup.job_id,),
    ).fetchall()
    assert any("400 bad query" in message for (message,) in errors)
    assert queue.get(setup.job_id).data_source_id is not None
    source = queue.dx.data_sources.get(setup.data_source_id)
    assert source.status is DataSourceStatus.ACTIVE  # not an authentication problem


def test_credentials_are_opened_by_the_worker_and_a_refusal_marks_the_source(
    queue: Queue, tmp_path: Path
) -> None:
    csv = tmp_path / "leads.csv"
    sample_csv(csv, rows=300)
    want = expected_for(csv)
    good = queue.job(
        csv,
        connector="GuardedCsv",
        config={"expected_token": "s3cret-token"},
        credentials={"token": "s3cret-token"},
    )
    bad = queue.job(
        csv,
        connector="GuardedCsv",
        config={"expected_token": "s3cret-token"},
        credentials={"token": "expired-token"},
        other_agency=True,
    )

    output = queue.finish(queue.worker("--burst", worker_id="w-auth"))

    assert queue.get(good.job_id).status is JobStatus.COMPLETED
    assert queue.campaign_leads(good.campaign_id) == want.unique_valid
    refused = queue.other_admin.jobs.get(bad.job_id)
    assert refused.status is JobStatus.FAILED  # retrying cannot fix a refused token
    assert refused.errors[0]["retryable"] is False
    source = queue.other_admin.data_sources.get(bad.data_source_id)
    assert source.status is DataSourceStatus.ERROR
    assert source.last_test_status == "failed"
    assert source.last_test_error is not None
    assert "HTTP 401" in source.last_test_error
    logs = queue.sql.execute(
        "select message, details::text from public.scraping_job_logs"
    ).fetchall()
    assert not any("s3cret" in message or "s3cret" in details for message, details in logs)
    assert "s3cret" not in output
