"""A fetched batch to lead records: normalise, reject the unusable, qualify the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from functions_py.connectors.base import Batch, Rejected
from functions_py.ingest.normalize import Rejection, normalize_lead
from functions_py.ingest.qualify import qualify

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
    for index, record in enumerate(batch.records):
        lead = normalize_lead(record)
        if isinstance(lead, Rejection):
            out.invalid.append(Rejected(index, lead.reason))
            continue
        status, reason = qualify(lead, search_criteria)
        row = {k: v for k, v in lead.as_record().items() if v is not None and v != {}}
        row["qualification_status"] = status
        if reason:
            row["qualification_reason"] = reason
        out.records.append(row)
        if status == QUALIFIED:
            out.qualified += 1
    return out
