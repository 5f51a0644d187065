"""A fetched batch to lead records: normalise, reject the unusable, qualify the rest."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from functions_py.connectors.base import Batch, Rejected
from functions_py.ingest.normalize import Rejection, normalize_lead
from functions_py.ingest.qualify import QualificationRules

QUALIFIED = "qualified"


@dataclass
class Transformed:
    """One page's outcome: upsert-ready records, and everything that will not be a lead.

    ``unreadable`` are the connector's rejections (position = where in the source, e.g. the
    CSV line); ``invalid`` are records that failed normalisation (position = index in the
    page, as the connector's records carry no source position).
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[Rejected] = field(default_factory=list)
    invalid: list[Rejected] = field(default_factory=list)
    qualified: int = 0

    @property
    def rejected(self) -> int:
        return len(self.unreadable) + len(self.invalid)

    @property
    def processed(self) -> int:
        return len(self.records) + self.rejected


def transform(batch: Batch, search_criteria: Mapping[str, Any]) -> Transformed:
    out = Transformed(unreadable=list(batch.rejected))
    rules = QualificationRules.from_criteria(search_criteria)
    for index, record in enumerate(batch.records):
        lead = normalize_lead(record)
        if isinstance(lead, Rejection):
            out.invalid.append(Rejected(index, lead.reason))
            continue
        status, reason = rules.qualify(lead)
        row = {k: v for k, v in lead.as_record().items() if v is not None and v != {}}
        row["qualification_status"] = status
        if reason:
            row["qualification_reason"] = reason
        out.records.append(row)
        if status == QUALIFIED:
            out.qualified += 1
    return out


# Pages smaller than this are not worth shipping to another process.
MIN_POOLED_RECORDS = 200


class Transformer:
    """Runs ``transform`` in worker processes, or inline with ``processes=0``.

    Normalising (email syntax, phone parsing) is CPU-bound Python, the larger half of an
    import's cost; other processes do it in parallel with each other and with the database,
    pages in flight up to ``depth``. The pool starts on first use and is shared by the slots.
    """

    def __init__(self, processes: int) -> None:
        self.processes = max(0, processes)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def depth(self) -> int:
        """Pages worth having in flight at once."""
        return self.processes + 1

    async def __call__(self, batch: Batch, search_criteria: Mapping[str, Any]) -> Transformed:
        if self.processes == 0 or len(batch.records) < MIN_POOLED_RECORDS:
            return transform(batch, search_criteria)
        if self._pool is None:
            # spawn: forking a process that runs an event loop and a connection pool is unsafe.
            self._pool = ProcessPoolExecutor(
                self.processes, mp_context=multiprocessing.get_context("spawn")
            )
        # Only what transform reads travels to the other process (not the raw records).
        slim = Batch(batch.records, [], batch.rejected, batch.next_cursor, batch.total_estimate)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, transform, slim, dict(search_criteria))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
