"""Run one claimed job: fetch, transform, commit batch by batch, then complete, fail or release.

The loop's invariant: everything committed is a prefix of the source up to the stored
checkpoint, with the job's counters matching it. Pages are buffered in memory between commits
(see ``progress.FlushPolicy``); losing the buffer (crash, lost lease, cancel) only means the
next run fetches those pages again from the checkpoint.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from dashin_sdk import AsyncDashin
from dashin_sdk.errors import DashinError, InvalidStateError, NotFoundError
from dashin_sdk.models.enums import JobStatus
from dashin_sdk.models.tables import DataSource, ScrapingJob
from functions_py.connectors.base import Batch, Connector
from functions_py.connectors.errors import AuthFailedError, PermanentError, TransientError
from functions_py.connectors.ratelimit import RateLimiter
from functions_py.connectors.registry import create_connector
from functions_py.ingest.archive import ArchiveWriter, RawArchive
from functions_py.worker.heartbeat import JobControl, StopReason, keep_alive
from functions_py.worker.logs import JobLog
from functions_py.worker.progress import (
    MAX_BATCH_RECORDS,
    Counters,
    FlushPolicy,
    PendingBatch,
    percent,
)
from functions_py.worker.transform import Transformed, Transformer

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_BATCH_SIZE = 500


@dataclass
class SlotContext:
    """What every slot of one worker shares."""

    dx: AsyncDashin
    worker_id: str
    lease_seconds: int
    archive: RawArchive
    transformer: Transformer
    # Defaults: WorkerOptions, which fills every field.
    batch_size: int
    flush_interval: float
    flush_records: int
    # One token bucket per data source, shared by the slots: jobs of one source together
    # keep to the source's ``requests_per_second`` (config), if it sets one.
    limiters: dict[UUID, RateLimiter] = field(default_factory=dict)

    def limiter_for(self, source: DataSource) -> RateLimiter | None:
        rate = source.config.get("requests_per_second")
        if not isinstance(rate, int | float) or isinstance(rate, bool) or rate <= 0:
            return None
        limiter = self.limiters.get(source.id)
        if limiter is None or limiter.rate != float(rate):
            limiter = self.limiters[source.id] = RateLimiter(float(rate))
        return limiter


@dataclass(frozen=True)
class JobOutcome:
    job_id: UUID
    status: str  # completed | failed | retrying | released | paused | cancelled | lost
    processed: int


class _StopRequestedError(Exception):
    """The job was asked to stop while the slot waited on the source."""


async def run_job(ctx: SlotContext, job: ScrapingJob, control: JobControl) -> JobOutcome:
    """Run ``job`` (already claimed by ``ctx.worker_id``) until it ends or must stop."""
    journal = JobLog(ctx.dx, job.id, job.agency_id)
    beat = asyncio.create_task(
        keep_alive(ctx.dx, job.id, ctx.worker_id, ctx.lease_seconds, control),
        name=f"heartbeat {job.id}",
    )
    run = _JobRun(ctx, job, control, journal)
    try:
        return await run.execute()
    finally:
        beat.cancel()
        with suppress(asyncio.CancelledError):
            await beat
        await journal.flush()


class _JobRun:
    def __init__(
        self, ctx: SlotContext, job: ScrapingJob, control: JobControl, journal: JobLog
    ) -> None:
        self.ctx = ctx
        self.dx = ctx.dx
        self.job = job
        self.control = control
        self.journal = journal
        self.counters = Counters.of(job)
        self.pending = PendingBatch()
        checkpoint = job.checkpoint or {}
        self.cursor: Any = checkpoint.get("cursor")
        self.total: int | None = _int(job.config.get("max_records"))
        self.policy = FlushPolicy(
            ctx.flush_interval, _int(job.config.get("flush_records")) or ctx.flush_records
        )
        self.batch_size = _int(job.config.get("batch_size")) or ctx.batch_size
        self.archive: ArchiveWriter | None = None
        self._inflight: asyncio.Task[None] | None = None

    async def execute(self) -> JobOutcome:
        job = self.job
        self.journal.info(
            f"worker {self.ctx.worker_id} started attempt {job.attempts}",
            worker_id=self.ctx.worker_id,
            attempt=job.attempts,
            resumed_from=job.checkpoint,
        )
        connector: Connector | None = None
        ahead: deque[tuple[Any, Batch, asyncio.Future[Transformed]]] = deque()
        try:
            connector = await self._open_connector()
            self.archive = self.ctx.archive.open(str(job.id))
            # Fetching runs ahead of normalising by up to ``depth`` pages (in other
            # processes), which runs ahead of the write in flight: the three overlap.
            fetching = not (job.checkpoint or {}).get("done")  # resumed after its last page?
            while fetching or ahead:
                if self.control.stopped.is_set():
                    return await self._stop()
                if fetching and len(ahead) < self.ctx.transformer.depth:
                    start = self.cursor
                    batch = await self._until_stopped(
                        connector.fetch(job.search_criteria, start, batch_size=self.batch_size)
                    )
                    self.cursor = batch.next_cursor
                    fetching = batch.next_cursor is not None
                    normalising = self.ctx.transformer(batch, job.search_criteria)
                    ahead.append((start, batch, asyncio.ensure_future(normalising)))
                    continue
                start, batch, page = ahead.popleft()
                await self._take(start, batch, await self._until_stopped(page))
                if self.policy.due(self.pending):
                    await self._commit()
            await self._flush()
            return await self._complete()
        except _StopRequestedError:
            return await self._stop()
        except TransientError as exc:
            return await self._fail(exc, retryable=True)
        except AuthFailedError as exc:
            with suppress(DashinError):
                await self.dx.queue.record_source_failure(job.data_source_id, str(exc))
            return await self._fail(exc, retryable=False)
        except PermanentError as exc:
            return await self._fail(exc, retryable=False)
        except (InvalidStateError, NotFoundError) as exc:
            # A batch was refused: the job was cancelled under us (we still hold it: let go)
            # or another worker owns it now (write nothing more).
            log.warning("job %s: %s", job.id, exc)
            return await self._release()
        except DashinError as exc:
            # The database failed us mid-run: give the job back for a retry with backoff.
            return await self._fail(exc, retryable=True)
        finally:
            for _, _, unused in ahead:
                unused.cancel()
            with suppress(Exception):
                await self._settle()  # never leave a write running unobserved
            if connector is not None:
                with suppress(Exception):
                    await connector.aclose()
            await self._close_archive()

    async def _open_connector(self) -> Connector:
        source = await self.dx.data_sources.get(self.job.data_source_id)
        credentials = await self.dx.queue.source_credentials(source.id)
        return create_connector(
            source.type.value,
            source.config,
            credentials,
            limiter=self.ctx.limiter_for(source),
        )

    async def _until_stopped(self, work: Awaitable[T]) -> T:
        """Await ``work`` unless the job is told to stop first (then abandon it)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.create_task(self.control.stopped.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not task.done():
            task.cancel()
            with suppress(asyncio.CancelledError, Exception):
                await task
            raise _StopRequestedError
        return task.result()

    async def _take(self, start: Any, batch: Batch, page: Transformed) -> None:
        """Buffer a normalised page; ``start`` is the cursor it was fetched from."""
        if len(self.pending.records) + len(page.records) > MAX_BATCH_RECORDS:
            await self._commit()
        if self.archive is not None and batch.raw:
            self.archive.append(batch.raw)
        for rejection in page.unreadable:
            self.journal.rejected(rejection.reason, line=rejection.position)
        for rejection in page.invalid:
            self.journal.rejected(rejection.reason, batch_cursor=start, index=rejection.position)
        self.pending.records.extend(page.records)
        self.pending.pages += 1
        self.pending.cursor = batch.next_cursor
        self.pending.done = batch.next_cursor is None
        self.counters.processed += page.processed
        self.counters.qualified += page.qualified
        self.counters.rejected += page.rejected
        if batch.total_estimate:
            self.total = batch.total_estimate

    async def _commit(self) -> None:
        """Send the buffered pages and the checkpoint after them (one transaction).

        The write runs in the background while the next pages are fetched and normalised
        (that CPU work and the database's are the two halves of an import): at most one
        write is in flight, and they commit in order. ``_settle`` waits for it.
        """
        await self._settle()
        if self.pending.pages == 0:
            return
        pending, self.pending = self.pending, PendingBatch()
        sent = Counters(self.counters.processed, self.counters.qualified, self.counters.rejected)
        progress = percent(sent.processed, self.total, done=pending.done)
        self.policy.written()
        self._inflight = asyncio.create_task(self._write(pending, sent, progress))

    async def _write(self, pending: PendingBatch, sent: Counters, progress: int) -> None:
        result = await self.dx.queue.ingest_batch(
            self.job.id,
            self.ctx.worker_id,
            records=pending.records,
            checkpoint=pending.checkpoint(),
            progress=progress,
            records_processed=sent.processed,
            records_qualified=sent.qualified,
            records_rejected=sent.rejected,
            lease_seconds=self.ctx.lease_seconds,
        )
        for rejection in result.rejections:
            self.journal.rejected(f"refused by the database: {rejection.reason}")
        # Records the database refused move from qualified to rejected (it says how many);
        # carry that into the counts of the pages buffered since.
        self.counters.qualified += result.records_qualified - sent.qualified
        self.counters.rejected += result.records_rejected - sent.rejected
        await self.journal.flush()
        self.control.observe(result.status)

    async def _settle(self) -> None:
        """Wait for the write in flight; its error (a lost lease, ...) is raised here."""
        inflight, self._inflight = self._inflight, None
        if inflight is not None:
            await inflight

    async def _flush(self) -> None:
        """Commit everything buffered and wait until it is committed."""
        await self._commit()
        await self._settle()

    async def _complete(self) -> JobOutcome:
        job = self.job
        raw_url = await self._close_archive()
        result_url = self._write_result()
        self.journal.summarise_rejections()
        self.journal.info(
            "all records processed",
            records_processed=self.counters.processed,
            records_qualified=self.counters.qualified,
            records_rejected=self.counters.rejected,
        )
        await self.journal.flush()
        await self.dx.queue.complete(
            job.id, self.ctx.worker_id, raw_data_url=raw_url, result_file_url=result_url
        )
        return JobOutcome(job.id, "completed", self.counters.processed)

    async def _stop(self) -> JobOutcome:
        """Pause, cancel or shutdown: keep what was fetched where allowed, drop the lease."""
        reason = self.control.reason or StopReason.SHUTDOWN
        if reason is StopReason.LEASE_LOST:
            return JobOutcome(self.job.id, "lost", self.counters.processed)
        # A cancelled job takes no more batches (the write in flight may be refused).
        with suppress(InvalidStateError):
            await self._settle()
        if reason is not StopReason.CANCELLED:
            # A paused or interrupted job keeps the pages already fetched (one transaction).
            with suppress(InvalidStateError):
                await self._flush()
        self.journal.summarise_rejections()
        self.journal.info(
            f"worker {self.ctx.worker_id} stopped: {reason.value}", reason=reason.value
        )
        await self.journal.flush()
        return await self._release()

    async def _release(self) -> JobOutcome:
        """Drop the lease: a running job goes back to the queue, a paused or cancelled one
        is acknowledged. ``lost`` if the job is no longer ours."""
        try:
            released = await self.dx.queue.release(self.job.id, self.ctx.worker_id)
        except (InvalidStateError, NotFoundError):
            return JobOutcome(self.job.id, "lost", self.counters.processed)
        status = "released" if released.status is JobStatus.PENDING else released.status.value
        return JobOutcome(self.job.id, status, self.counters.processed)

    async def _fail(self, exc: Exception, *, retryable: bool) -> JobOutcome:
        # Keep the partial results: commit what was fetched before the error.
        with suppress(DashinError):
            await self._settle()
        with suppress(DashinError):
            await self._flush()
        message = f"{type(exc).__name__}: {exc}"
        self.journal.summarise_rejections()
        self.journal.error(message, retryable=retryable)
        await self.journal.flush()
        try:
            failed = await self.dx.queue.fail(
                self.job.id,
                self.ctx.worker_id,
                message,
                retryable=retryable,
                details={"records_processed": self.counters.processed},
                # A rate-limited provider said when to come back: not before then.
                retry_after=exc.retry_after if isinstance(exc, TransientError) else None,
            )
        except (InvalidStateError, NotFoundError):
            return JobOutcome(self.job.id, "lost", self.counters.processed)
        outcome = "retrying" if failed.status is JobStatus.PENDING else failed.status.value
        return JobOutcome(self.job.id, outcome, self.counters.processed)

    async def _close_archive(self) -> str | None:
        """Finish this run's part of the raw archive (uploading it to Storage if there)."""
        archive, self.archive = self.archive, None  # closed once, even if the upload fails
        if archive is None:
            return None
        try:
            return await archive.aclose()
        except Exception as exc:  # the archive is a by-product: never fail a job over it
            log.warning("job %s: raw archive not saved: %s", self.job.id, exc)
            return None

    def _write_result(self) -> str | None:
        """A small JSON summary next to a local raw archive: the job's result file."""
        if self.ctx.archive.directory is None:
            return None
        path = self.ctx.archive.directory / f"{self.job.id}.result.json"
        summary = {
            "job_id": str(self.job.id),
            "records_processed": self.counters.processed,
            "records_qualified": self.counters.qualified,
            "records_rejected": self.counters.rejected,
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(summary, indent=2), "utf-8")
        except OSError as exc:
            log.warning("could not write %s: %s", path, exc)
            return None
        return path.resolve().as_uri()


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
