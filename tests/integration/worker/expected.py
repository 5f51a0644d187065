"""What a job over a CSV file must end with, worked out without the database.

The sample generator knows how many unique valid leads it wrote. The row, rejection and
qualification counts come from one uninterrupted in-memory pass of the same connector and
transform the worker uses: a job interrupted any number of times must end with exactly these.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions_py.connectors.csv_source import CsvConnector
from functions_py.samples import SampleStats, generate_leads_csv
from functions_py.worker.transform import transform

# The jobs' search criteria: leads with these words in their title qualify.
CRITERIA: dict[str, Any] = {"title_keywords": ["CTO", "CEO", "Founder", "VP"]}


@dataclass(frozen=True)
class Expected:
    rows: int
    rejected: int
    qualified: int
    unique_valid: int


def sample_csv(path: Path, *, rows: int, seed: int = 7) -> SampleStats:
    """Write a synthetic leads CSV (duplicates, invalid emails, broken lines)."""
    return generate_leads_csv(path, rows, seed=seed)


def expected_for(csv: Path, criteria: dict[str, Any] | None = None) -> Expected:
    return asyncio.run(_pass(csv, CRITERIA if criteria is None else criteria))


async def _pass(csv: Path, criteria: dict[str, Any]) -> Expected:
    connector = CsvConnector({"path": str(csv)}, None)
    rows = rejected = qualified = 0
    identities: set[str] = set()
    cursor = None
    try:
        while True:
            batch = await connector.fetch(criteria, cursor, batch_size=1000)
            page = transform(batch, criteria)
            rows += page.processed
            rejected += page.rejected
            qualified += page.qualified
            identities.update(_identity(record) for record in page.records)
            cursor = batch.next_cursor
            if cursor is None:
                break
    finally:
        await connector.aclose()
    return Expected(rows, rejected, qualified, len(identities))


def _identity(record: dict[str, Any]) -> str:
    # upsert_leads' dedup key: email, else LinkedIn URL, else name + company.
    if record.get("email"):
        return "e:" + str(record["email"]).strip().lower()
    if record.get("linkedin_url"):
        return "l:" + str(record["linkedin_url"])
    name = f"{record.get('first_name') or ''}|{record.get('last_name') or ''}".lower()
    return f"n:{name}|{str(record.get('company') or '').lower()}"
