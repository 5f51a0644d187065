"""A running job's lease and the user's say over it.

The heartbeat task renews the lease and reads back the job's status: anything but
``running`` (a pause or a cancel) asks the slot to stop. It beats every 1.5 s (or
``lease_seconds / 3`` if shorter) and at once when a change notification for the job arrives
(``poke``); with the status every batch commit returns, a pause or cancel takes effect within
two seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from enum import StrEnum
from uuid import UUID

from dashin_sdk import AsyncDashin
from dashin_sdk.errors import DashinError, InvalidStateError, NotFoundError
from dashin_sdk.models.enums import JobStatus

log = logging.getLogger(__name__)

# Even without a change notification, look at the job's status this often.
STATUS_CHECK_SECONDS = 1.5


class StopReason(StrEnum):
    PAUSED = "paused"
    CANCELLED = "cancelled"
    SHUTDOWN = "shutdown"  # the worker was asked to exit
    LEASE_LOST = "lease_lost"  # another worker owns the job now


class JobControl:
    """Whether (and why) the slot running a job should stop."""

    def __init__(self) -> None:
        self.stopped = asyncio.Event()
        self.reason: StopReason | None = None
        self._poked = asyncio.Event()

    def stop(self, reason: StopReason) -> None:
        if self.reason is None:
            self.reason = reason
        self.stopped.set()

    def observe(self, status: JobStatus) -> None:
        """Act on the job's status as the database reports it."""
        if status is JobStatus.PAUSED:
            self.stop(StopReason.PAUSED)
        elif status is not JobStatus.RUNNING:
            self.stop(StopReason.CANCELLED)

    def poke(self) -> None:
        """The job changed: check its status now."""
        self._poked.set()

    async def wait_poke(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._poked.wait(), timeout)
        self._poked.clear()


async def keep_alive(
    dx: AsyncDashin, job_id: UUID, worker_id: str, lease_seconds: int, control: JobControl
) -> None:
    """Renew the lease and watch the status until the slot stops (cancel this task then).

    Every status check is a heartbeat (one small UPDATE), so the lease is renewed at least
    every ``lease_seconds / 3`` and more often when the status is checked sooner.
    """
    interval = min(STATUS_CHECK_SECONDS, lease_seconds / 3)
    while not control.stopped.is_set():
        await control.wait_poke(interval)
        try:
            status = await dx.queue.heartbeat(job_id, worker_id, lease_seconds=lease_seconds)
        except (InvalidStateError, NotFoundError):
            control.stop(StopReason.LEASE_LOST)
            return
        except DashinError as exc:
            # A blip: try again on the next beat; the lease outlives a few missed ones.
            log.warning("heartbeat for job %s failed: %s", job_id, exc)
            continue
        control.observe(status)
