"""A job's counters and when to write them.

Pages fetched from the connector are buffered and committed together (one
``ingest_job_batch``) at most every ``min_interval`` seconds, or sooner when the buffer is
full or the job ends; so a fast source does not turn every page into a write and a
Realtime event, and progress-only pages (all rows rejected) cost nothing extra.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dashin_sdk.models.tables import ScrapingJob

# upsert_leads takes at most 10,000 records per call.
MAX_BATCH_RECORDS = 10_000


@dataclass
class Counters:
    """Absolute counts for the job so far (committed ones plus the buffered batch)."""

    processed: int = 0
    qualified: int = 0
    rejected: int = 0

    @classmethod
    def of(cls, job: ScrapingJob) -> Counters:
        return cls(job.records_processed, job.records_qualified, job.records_rejected)


def percent(processed: int, total: int | None, *, done: bool) -> int:
    """0-100; 100 only once the source is exhausted (an estimate may be off)."""
    if done:
        return 100
    if not total or total <= 0:
        return 0
    return max(0, min(99, processed * 100 // total))


@dataclass
class PendingBatch:
    """Pages fetched but not committed yet, and the cursor after the last of them."""

    records: list[dict[str, Any]] = field(default_factory=list)
    cursor: Any = None
    done: bool = False
    pages: int = 0

    def checkpoint(self) -> dict[str, Any]:
        """What the job stores: the connector cursor after this batch, and whether it ended."""
        return {"cursor": self.cursor, "done": self.done}


class FlushPolicy:
    """Commit at most every ``min_interval`` s unless ``max_records`` are waiting."""

    def __init__(
        self,
        min_interval: float = 0.5,
        max_records: int = 5_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.min_interval = min_interval
        self.max_records = max(1, min(max_records, MAX_BATCH_RECORDS))
        self._clock = clock
        self._last = clock()

    def due(self, pending: PendingBatch) -> bool:
        if pending.done or len(pending.records) >= self.max_records:
            return True
        return pending.pages > 0 and self._clock() - self._last >= self.min_interval

    def written(self) -> None:
        self._last = self._clock()
