"""Two workers on one queue never run the same job."""

from __future__ import annotations

from pathlib import Path

from dashin_sdk.models.enums import JobStatus
from tests.integration.worker.conftest import Queue
from tests.integration.worker.expected import sample_csv


def test_two_workers_split_many_small_jobs(queue: Queue, tmp_path: Path) -> None:
    csv = tmp_path / "small.csv"
    sample_csv(csv, rows=60)
    jobs = [queue.job(csv).job_id for _ in range(24)]

    one = queue.worker("--burst", "--concurrency", "2", worker_id="w-one")
    two = queue.worker("--burst", "--concurrency", "2", worker_id="w-two")
    queue.finish(one)
    queue.finish(two)

    ran_by = {job_id: queue.workers_of(job_id) for job_id in jobs}
    assert all(len(workers) == 1 for workers in ran_by.values()), ran_by
    by_one = {job_id for job_id, workers in ran_by.items() if workers == ["w-one"]}
    by_two = {job_id for job_id, workers in ran_by.items() if workers == ["w-two"]}
    assert by_one.isdisjoint(by_two)
    assert by_one | by_two == set(jobs)
    assert all(queue.get(job_id).status is JobStatus.COMPLETED for job_id in jobs)
