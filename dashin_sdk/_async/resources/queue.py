"""``dx.queue``: the job queue as a worker sees it (service role only).

Thin, typed wrappers over the SQL functions that own the rules (claiming with SKIP LOCKED,
leases, checkpoints, retries): a worker never writes job state directly.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Mapping, Sequence
from contextlib import aclosing
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dashin_sdk import validation as v
from dashin_sdk._async.backend import AsyncBackend, Change
from dashin_sdk._async.resources._base import AsyncResource, open_credentials, record_test
from dashin_sdk.credentials import CredentialsKeyring
from dashin_sdk.errors import ConfigurationError, invalid_argument
from dashin_sdk.models.enums import JobStatus, LogLevel
from dashin_sdk.models.tables import ScrapingJob
from dashin_sdk.query import Insert, Rpc


class BatchRejection(BaseModel):
    """A record the database refused: its 0-based position in the batch and why."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    index: int
    reason: str


class IngestResult(BaseModel):
    """What ``ingest_job_batch`` committed: the upsert's counts and the job as stored.

    ``records_*`` are the job's absolute counters after the batch (database rejections
    included); continue counting from them. ``status`` other than ``running`` means stop.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    status: JobStatus
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejections: tuple[BatchRejection, ...] = Field(default_factory=tuple)
    records_processed: int
    records_qualified: int
    records_rejected: int


class AsyncQueue(AsyncResource):
    table = "scraping_jobs"

    def __init__(self, backend: AsyncBackend, keyring: Callable[[], CredentialsKeyring]) -> None:
        super().__init__(backend)
        self._keyring = keyring

    async def claim_next(self, worker_id: str, *, lease_seconds: int = 60) -> ScrapingJob | None:
        """The oldest runnable job, now running under this worker's lease; ``None`` if idle."""
        args = {"worker_id": _worker(worker_id), "lease_seconds": _lease(lease_seconds)}
        rows = await self._backend.rpc(Rpc("claim_next_job", args, shape="rows"))
        return ScrapingJob.model_validate(rows[0]) if rows else None

    async def heartbeat(
        self, job_id: UUID | str, worker_id: str, *, lease_seconds: int = 60
    ) -> JobStatus:
        """Renew the lease; anything but ``running`` means stop after this batch."""
        args = {
            **_held(job_id, worker_id),
            "lease_seconds": _lease(lease_seconds),
        }
        return JobStatus(await self._backend.rpc(Rpc("heartbeat_job", args)))

    async def checkpoint(
        self,
        job_id: UUID | str,
        worker_id: str,
        *,
        checkpoint: Mapping[str, Any],
        progress: int,
        records_processed: int,
        records_qualified: int,
        records_rejected: int,
        lease_seconds: int = 60,
    ) -> JobStatus:
        """Record a committed batch: cursor, progress (0-100) and absolute counters."""
        args = _checkpoint_args(
            job_id,
            worker_id,
            checkpoint,
            progress,
            (records_processed, records_qualified, records_rejected),
            lease_seconds,
        )
        return JobStatus(await self._backend.rpc(Rpc("checkpoint_job", args)))

    async def complete(
        self,
        job_id: UUID | str,
        worker_id: str,
        *,
        result_file_url: str | None = None,
        raw_data_url: str | None = None,
    ) -> ScrapingJob:
        args = {
            **_held(job_id, worker_id),
            "result_file_url": result_file_url,
            "raw_data_url": raw_data_url,
        }
        return await self._job_rpc("complete_job", args)

    async def fail(
        self,
        job_id: UUID | str,
        worker_id: str,
        error: str,
        *,
        retryable: bool = False,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> ScrapingJob:
        """Record an error: a retryable one re-queues with backoff while attempts remain.

        ``retry_after`` (seconds) is how long the provider asked to be left alone (a
        ``Retry-After``): the next attempt then waits at least that long, at most a day. It
        is stored with the error as ``details["retry_after_seconds"]``.
        """
        recorded = dict(details or {})
        if retry_after is not None:
            if not 0 <= retry_after <= 86_400:
                raise invalid_argument(
                    "retry_after", f"must be 0..86400 seconds, got {retry_after}"
                )
            recorded["retry_after_seconds"] = retry_after
        args = {
            **_held(job_id, worker_id),
            "error": error,
            "retryable": retryable,
            "details": recorded,
        }
        return await self._job_rpc("fail_job", args)

    async def release(self, job_id: UUID | str, worker_id: str) -> ScrapingJob:
        """Give the job back without counting an attempt (graceful shutdown, pause, cancel)."""
        return await self._job_rpc("release_job", _held(job_id, worker_id))

    async def ingest_batch(
        self,
        job_id: UUID | str,
        worker_id: str,
        *,
        records: Sequence[Mapping[str, Any]],
        checkpoint: Mapping[str, Any],
        progress: int,
        records_processed: int,
        records_qualified: int,
        records_rejected: int,
        lease_seconds: int = 60,
    ) -> IngestResult:
        """Upsert a batch of the job's leads and checkpoint the job in one transaction.

        ``checkpoint`` is the connector cursor *after* this batch and the counters are
        absolute (this batch included), so replaying a batch after a crash is harmless.
        Raises ``InvalidStateError`` (PT409) when this worker no longer holds the job.
        """
        args = _checkpoint_args(
            job_id,
            worker_id,
            checkpoint,
            progress,
            (records_processed, records_qualified, records_rejected),
            lease_seconds,
        )
        args["records"] = [dict(record) for record in records]
        return IngestResult.model_validate(await self._backend.rpc(Rpc("ingest_job_batch", args)))

    async def source_credentials(
        self, data_source_id: UUID | str, *, keyring: CredentialsKeyring | None = None
    ) -> dict[str, Any] | None:
        """The data source's decrypted credentials (trusted processes only); ``None`` if unset.

        The key is the client's (``credentials_key=`` or ``DASHIN_CREDENTIALS_KEY``) unless a
        ``keyring`` is given, and is only needed when the source has credentials. Never log
        the result.
        """
        if not self._backend.trusted:
            raise ConfigurationError(
                "opening data-source credentials needs the direct backend or a service-role key"
            )
        return await open_credentials(
            self._backend,
            v.uuid_arg("data_source_id", data_source_id),
            lambda: keyring or self._keyring(),
        )

    async def record_source_failure(self, data_source_id: UUID | str, message: str) -> None:
        """Mark the data source as failing its connection (status ``error``, last_test_error)."""
        source_id = v.uuid_arg("data_source_id", data_source_id)
        await self._backend.rpc(record_test(source_id, False, message))

    async def wakeups(self) -> AsyncGenerator[UUID | None, None]:
        """Yield whenever a job may have become runnable: a job's id, or ``None`` to re-check.

        Fed by the job change stream (NOTIFY on the direct backend, Realtime over HTTP); a
        worker still polls on a timer in case a wake-up is lost.
        """
        signals = self._backend.changes("scraping_jobs")
        async with aclosing(signals):
            async for signal in signals:
                yield signal.row_id if isinstance(signal, Change) else None

    async def add_logs(
        self,
        job_id: UUID | str,
        agency_id: UUID | str,
        entries: Iterable[tuple[LogLevel | str, str, Mapping[str, Any]]],
    ) -> int:
        """Append log lines in one insert; returns how many were written."""
        job = v.uuid_arg("job_id", job_id)
        agency = v.uuid_arg("agency_id", agency_id)
        rows = tuple(
            {
                "job_id": job,
                "agency_id": agency,
                "level": v.enum_arg("level", LogLevel, level).value,
                "message": message,
                "details": dict(details),
            }
            for level, message, details in entries
        )
        if not rows:
            return 0
        return len(await self._backend.mutate(Insert("scraping_job_logs", rows, ("id",))))


def _held(job_id: UUID | str, worker_id: str) -> dict[str, Any]:
    """The arguments naming a job and the worker holding its lease."""
    return {"job_id": v.uuid_arg("job_id", job_id), "worker_id": _worker(worker_id)}


def _checkpoint_args(
    job_id: UUID | str,
    worker_id: str,
    checkpoint: Mapping[str, Any],
    progress: int,
    counters: tuple[int, int, int],
    lease_seconds: int,
) -> dict[str, Any]:
    """``checkpoint_job``'s arguments (``ingest_job_batch`` takes them too, plus records)."""
    if not 0 <= progress <= 100:
        raise invalid_argument("progress", f"must be 0..100, got {progress}")
    processed, qualified, rejected = counters
    return {
        **_held(job_id, worker_id),
        "checkpoint": dict(checkpoint),
        "progress": progress,
        "records_processed": processed,
        "records_qualified": qualified,
        "records_rejected": rejected,
        "lease_seconds": _lease(lease_seconds),
    }


def _worker(worker_id: str) -> str:
    worker_id = v.text_arg("worker_id", worker_id)
    if not worker_id.strip():
        raise invalid_argument("worker_id", "must not be blank")
    return worker_id


def _lease(seconds: int) -> int:
    if not isinstance(seconds, int) or not 5 <= seconds <= 3600:
        raise invalid_argument("lease_seconds", f"must be 5..3600, got {seconds!r}")
    return seconds
