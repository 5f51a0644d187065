"""The sample lead generator and the bundled sample file."""

from __future__ import annotations

import csv
from pathlib import Path

from functions_py.ingest.normalize import NormalizedLead, normalize_lead
from functions_py.samples import bundled_sample_path, generate_leads_csv
from functions_py.samples.generator import DEFAULT_ROWS, HEADER


def test_bundled_sample_is_the_generators_output(tmp_path: Path) -> None:
    bundled = bundled_sample_path()
    stats = generate_leads_csv(tmp_path / "again.csv")
    assert (tmp_path / "again.csv").read_bytes() == bundled.read_bytes()
    assert stats.rows == DEFAULT_ROWS >= 5000
    assert bundled.stat().st_size < 1_000_000


def test_generation_is_deterministic_and_seeded(tmp_path: Path) -> None:
    a = generate_leads_csv(tmp_path / "a.csv", 300, seed=1)
    b = generate_leads_csv(tmp_path / "b.csv", 300, seed=1)
    generate_leads_csv(tmp_path / "c.csv", 300, seed=2)
    assert a == b
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "c.csv").read_bytes()
    assert a.rows == 300


def test_stats_describe_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    stats = generate_leads_csv(path, 3000, seed=5, duplicate_rate=0.1, broken_line_rate=0.02)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == HEADER
    data = rows[1:]
    assert len(data) == 3000
    assert sum(len(r) != len(HEADER) for r in data) == stats.broken_lines > 0
    well_formed = [dict(zip(HEADER, r, strict=True)) for r in data if len(r) == len(HEADER)]
    leads = [
        normalize_lead(
            {
                "email": r["Email"],
                "first_name": r["First Name"],
                "last_name": r["Last Name"],
                "company": r["Company"],
                "linkedin_url": r["LinkedIn"],
            }
        )
        for r in well_formed
    ]
    valid = [lead for lead in leads if isinstance(lead, NormalizedLead)]
    assert len(leads) - len(valid) == stats.invalid_emails > 0
    assert len({lead.email for lead in valid}) == stats.unique_valid_leads
    assert len(valid) - stats.unique_valid_leads == (
        stats.exact_duplicates + stats.variant_duplicates
    )
    assert stats.exact_duplicates > 0
    assert stats.variant_duplicates > 0
    # Variants really differ in the file (case or whitespace), not only in the stats.
    raw_emails = [r["Email"] for r in well_formed]
    assert len(set(raw_emails)) > len({e.strip().lower() for e in raw_emails})
