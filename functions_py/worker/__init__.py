"""``dashin worker``: runs scraping jobs from the queue (the ``scraping_jobs`` table).

A :class:`~functions_py.worker.runner.Worker` runs N job slots. Each slot claims a job
(``claim_next_job``: SKIP LOCKED, a lease), fetches it batch by batch through the data
source's connector, normalises and qualifies the records, and commits every batch together
with the job's checkpoint (``ingest_job_batch``), so a crash replays at most one batch and
the replay adds nothing. The worker talks to the database only through the SDK (``dx.queue``).
"""

from functions_py.worker.runner import Worker, WorkerOptions, WorkerReport

__all__ = ["Worker", "WorkerOptions", "WorkerReport"]
