"""A job's log lines, written to ``scraping_job_logs`` in batches.

Lines are buffered and flushed with each committed batch (and at the end), so logging
costs one insert per batch, not one per line. Rejected rows are summarised: the first
``REJECTION_LINES`` each get a line with their position and reason, the rest only count
towards a final summary by reason, so a 20,000-row file of bad data cannot flood the log.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from dashin_sdk import AsyncDashin
from dashin_sdk.errors import DashinError
from dashin_sdk.models.enums import LogLevel

log = logging.getLogger(__name__)

REJECTION_LINES = 20
# Reason texts can embed the offending value; keep the summary's keys short.
_REASON_KEY_CHARS = 80


class JobLog:
    def __init__(self, dx: AsyncDashin, job_id: UUID, agency_id: UUID) -> None:
        self._dx = dx
        self._job_id = job_id
        self._agency_id = agency_id
        self._buffer: list[tuple[LogLevel, str, Mapping[str, Any]]] = []
        self._rejections = 0
        self._reasons: Counter[str] = Counter()

    def add(self, level: LogLevel, message: str, **details: Any) -> None:
        self._buffer.append((level, message, details))

    def info(self, message: str, **details: Any) -> None:
        self.add(LogLevel.INFO, message, **details)

    def warning(self, message: str, **details: Any) -> None:
        self.add(LogLevel.WARNING, message, **details)

    def error(self, message: str, **details: Any) -> None:
        self.add(LogLevel.ERROR, message, **details)

    def rejected(self, reason: str, **where: Any) -> None:
        """A row that will not become a lead: the first few in full, then counted.

        ``where`` locates it: ``line`` (CSV line number), or the page's ``batch_cursor`` and
        the record's ``index`` in it.
        """
        self._rejections += 1
        self._reasons[_reason_key(reason)] += 1
        if self._rejections <= REJECTION_LINES:
            self.warning("row rejected", reason=reason, **where)
        elif self._rejections == REJECTION_LINES + 1:
            self.warning(f"more rows rejected; only the first {REJECTION_LINES} are listed")

    def summarise_rejections(self) -> None:
        if self._rejections:
            self.info(
                f"{self._rejections} rows rejected this run",
                rejected=self._rejections,
                by_reason=dict(self._reasons.most_common(20)),
            )

    async def flush(self) -> None:
        """Write the buffered lines; a failure to log never fails the job."""
        if not self._buffer:
            return
        entries, self._buffer = self._buffer, []
        try:
            await self._dx.queue.add_logs(self._job_id, self._agency_id, entries)
        except DashinError as exc:
            log.warning(
                "could not write %d log lines for job %s: %s", len(entries), self._job_id, exc
            )


def _reason_key(reason: str) -> str:
    # "invalid email: foo@" and "invalid email: bar@" are one reason.
    head, sep, _ = reason.partition(":")
    return (head if sep else reason)[:_REASON_KEY_CHARS]
