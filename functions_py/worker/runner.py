"""The worker: N job slots claiming from the queue, woken by job changes, polling as a fallback."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import Counter
from contextlib import aclosing, suppress
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID, uuid4

from dashin_sdk import AsyncDashin
from dashin_sdk.errors import DashinError
from functions_py.ingest.archive import RawArchive
from functions_py.worker.heartbeat import JobControl, StopReason
from functions_py.worker.slot import DEFAULT_BATCH_SIZE, JobOutcome, SlotContext, run_job
from functions_py.worker.transform import Transformer

log = logging.getLogger(__name__)


def default_concurrency() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def default_transform_processes() -> int:
    """Processes normalising records besides the worker's loop: none on a machine of two
    CPUs or fewer (the loop and a local database keep them busy, and shipping pages to
    another process then costs more than it saves: see bench/README.md), else one per
    spare CPU, at most 4."""
    cpus = os.cpu_count() or 1
    return 0 if cpus <= 2 else min(4, cpus - 2)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:6]}"


@dataclass(frozen=True)
class WorkerOptions:
    concurrency: int = field(default_factory=default_concurrency)
    worker_id: str = field(default_factory=default_worker_id)
    lease_seconds: int = 60
    burst: bool = False  # exit once no runnable job is left
    poll_interval: float = 1.5  # look for work this often even without a wake-up
    batch_size: int = DEFAULT_BATCH_SIZE  # records per connector fetch
    # Commit fetched records at most this often, unless this many are waiting.
    flush_interval: float = 0.5
    flush_records: int = 5_000
    # Processes normalising pages in parallel (0: in the worker's own loop).
    transform_processes: int = field(default_factory=default_transform_processes)
    # Raw records (JSONL) and result files go here; None: RawArchive.from_env()
    # (DASHIN_RAW_ARCHIVE, Supabase Storage, or a directory in the temp dir).
    archive_dir: Path | None = None


@dataclass
class WorkerReport:
    """What a worker did: each job it ran and how that run ended."""

    worker_id: str
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def by_status(self) -> dict[str, int]:
        return dict(Counter(outcome.status for outcome in self.outcomes))


class Worker:
    """Runs jobs from the queue until stopped (or, with ``burst``, until none is runnable)."""

    def __init__(self, dx: AsyncDashin, options: WorkerOptions | None = None) -> None:
        self.dx = dx
        self.options = options or WorkerOptions()
        self.report = WorkerReport(self.options.worker_id)
        self._stopping = asyncio.Event()
        self._work_available = asyncio.Event()
        self._controls: dict[UUID, JobControl] = {}
        self._ctx = SlotContext(
            dx=dx,
            worker_id=self.options.worker_id,
            lease_seconds=self.options.lease_seconds,
            archive=(
                RawArchive(directory=self.options.archive_dir)
                if self.options.archive_dir is not None
                else RawArchive.from_env()
            ),
            transformer=Transformer(self.options.transform_processes),
            batch_size=self.options.batch_size,
            flush_interval=self.options.flush_interval,
            flush_records=self.options.flush_records,
        )

    def stop(self) -> None:
        """Stop claiming; running jobs commit what they fetched and release their leases."""
        self._stopping.set()
        self._work_available.set()
        for control in self._controls.values():
            control.stop(StopReason.SHUTDOWN)

    async def run(self) -> WorkerReport:
        listener = asyncio.create_task(self._listen(), name="wake-ups")
        slots = [
            asyncio.create_task(self._slot(n), name=f"slot {n}")
            for n in range(self.options.concurrency)
        ]
        try:
            await asyncio.gather(*slots)
        finally:
            for slot in slots:
                slot.cancel()
            listener.cancel()
            with suppress(asyncio.CancelledError):
                await listener
            await asyncio.to_thread(self._ctx.transformer.close)
        return self.report

    async def _slot(self, number: int) -> None:
        while not self._stopping.is_set():
            try:
                job = await self.dx.queue.claim_next(
                    self.options.worker_id, lease_seconds=self.options.lease_seconds
                )
            except DashinError as exc:
                log.warning("slot %d: claim failed: %s", number, exc)
                job = None
            if job is None:
                if self.options.burst:
                    return
                await self._idle()
                continue
            control = JobControl()
            self._controls[job.id] = control
            if self._stopping.is_set():
                control.stop(StopReason.SHUTDOWN)
            try:
                outcome = await run_job(self._ctx, job, control)
            finally:
                del self._controls[job.id]
            log.info("job %s: %s after %d records", job.id, outcome.status, outcome.processed)
            self.report.outcomes.append(outcome)

    async def _idle(self) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._work_available.wait(), self.options.poll_interval)
        if not self._stopping.is_set():
            self._work_available.clear()

    async def _listen(self) -> None:
        """Wake idle slots on any job change; tell a running job's slot its row changed."""
        while True:
            try:
                wakeups = self.dx.queue.wakeups()
                async with aclosing(wakeups):
                    async for job_id in wakeups:
                        control = self._controls.get(job_id) if job_id is not None else None
                        if control is not None:
                            control.poke()
                        else:
                            self._work_available.set()
            except DashinError as exc:
                # Polling still finds the work; try to listen again shortly.
                log.warning("job wake-ups unavailable: %s", exc)
                await asyncio.sleep(self.options.poll_interval)
