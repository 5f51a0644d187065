"""Migration 010's faster upsert_leads() returns and stores exactly what migration 006's did.

The reference is migration 006's function itself, loaded under another name from the deployed
migration file. Both run the same seeded batches (duplicates within and across batches, leads
known by email, LinkedIn URL or name + company only, emails completing LinkedIn-only leads,
invalid records of every kind) on the same database, one after the other.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import Conn
from tests.support.identity import A_RESEARCHER, CAMPAIGN_A1, acting_as

MIGRATION_006 = (
    Path(__file__).resolve().parents[2]
    / "supabase"
    / "migrations"
    / "20250101000006_advanced_functions.sql"
)
REFERENCE = "upsert_leads_006"
SOURCE = "equivalence"
SNAPSHOT = """
select email, first_name, last_name, company, title, linkedin_url, phone, source, status::text,
    qualification_status::text, qualification_reason, priority::text, metadata,
    campaign_id::text, created_by::text, last_contacted_at is not null, qualified_at is not null
from public.leads where source = %s
order by email nulls first, linkedin_url nulls first, last_name nulls first,
    first_name nulls first, company nulls first, metadata::text
"""


# Where two records of a batch match one existing lead, 006 let whichever the join met first fill
# it (which changes with the plan); 010 lets the earlier record do it. The reference gets the same
# rule, so that every other difference shows.
ARBITRARY_ORDER = "select x.* from matched as x where x.lead_id is not null order by x.lead_id)"
EARLIEST_FIRST = (
    "select distinct on (x.lead_id) x.* from matched as x where x.lead_id is not null"
    " order by x.lead_id, x.idx)"
)


# Between leads created in one batch (one created_at) that a match probe finds, 006 took the first
# the index returned; 010 orders them.
PROBE_ORDER = "order by x.created_at\n"
PROBE_ORDER_010 = "order by x.created_at, x.email nulls first, x.id\n"


def reference_function_sql() -> str:
    """Migration 006's upsert_leads() with 010's deterministic choices, renamed.

    The body names its parameters by function name, so every occurrence is renamed.
    """
    text = MIGRATION_006.read_text(encoding="utf-8")
    start = text.index("create function public.upsert_leads(")
    end = text.index("$$;", start) + len("$$;")
    function = text[start:end]
    assert function.count(ARBITRARY_ORDER) == 1
    assert function.count(PROBE_ORDER) == 3
    return (
        function.replace(ARBITRARY_ORDER, EARLIEST_FIRST)
        .replace(PROBE_ORDER, PROBE_ORDER_010)
        .replace("upsert_leads", REFERENCE)
    )


EMAILS = [f"person{i}@equiv.example" for i in range(12)]
SLUGS = [f"equiv-{i}" for i in range(8)]
NAMES = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"), (None, "Noether")]
COMPANIES = ["Equiv Co", "Other Equiv"]


def _record(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.03:
        return rng.choice(["not an object", 7, None, ["x"]])
    rec: dict[str, Any] = {}
    if rng.random() < 0.6:
        email = rng.choice(EMAILS)
        rec["email"] = rng.choice([email, email.upper(), f"  {email} ", "not-an-email"])
    if rng.random() < 0.5:
        slug = rng.choice(SLUGS)
        rec["linkedin_url"] = rng.choice(
            [
                f"https://www.linkedin.com/in/{slug}",
                f"http://uk.linkedin.com/in/{slug}/?trk=x",
                f"linkedin.com/in/{slug.upper()}/",
            ]
        )
    first, last = rng.choice(NAMES)
    if first is not None and rng.random() < 0.7:
        rec["first_name"] = rng.choice([first, f" {first} "])
    if rng.random() < 0.7:
        rec["last_name"] = last
    if rng.random() < 0.6:
        rec["company"] = rng.choice(COMPANIES)
    for key, values in (
        ("title", ["CTO", "  CEO ", ""]),
        ("phone", ["+1 555 0100", "+44 20 7000 0000"]),
        ("status", ["new", "contacted", "qualified", "bogus"]),
        ("qualification_status", ["pending", "qualified", "disqualified", "maybe"]),
        ("qualification_reason", ["fits", "too small"]),
        ("priority", ["low", "high", "urgent", "extreme"]),
    ):
        if rng.random() < 0.2:
            rec[key] = rng.choice(values)
    if rng.random() < 0.3:
        rec["metadata"] = rng.choice(
            [{"k": rng.randint(1, 3)}, {"seen": True, "k": 0}, {}, [1], "text", None]
        )
    if rng.random() < 0.03:
        rec["unknown_field"] = 1
    if rng.random() < 0.03:
        rec["title"] = {"nested": "object"}
    return rec


def batches_for(seed: int) -> list[list[Any]]:
    rng = random.Random(seed)
    return [[_record(rng) for _ in range(rng.randint(1, 25))] for _ in range(6)]


def run(conn: Conn, function: str, batches: list[list[Any]]) -> list[tuple[Any, ...]]:
    results = []
    for batch in batches:
        with acting_as(conn, A_RESEARCHER) as cur:
            cur.execute(
                f"select inserted, updated, unchanged, rejected, rejections from public.{function}"
                "(records => %s::jsonb, campaign_id => %s, source => %s)",
                (json.dumps(batch), CAMPAIGN_A1, SOURCE),
            )
            row = cur.fetchone()
        assert row is not None
        results.append(tuple(row))
    return results


@pytest.mark.parametrize("seed", range(12))
def test_same_results_and_same_leads_as_migration_006(conn: Conn, seed: int) -> None:
    conn.execute(reference_function_sql())
    conn.execute(f"grant execute on function public.{REFERENCE} to authenticated")
    batches = batches_for(seed)

    expected_results = run(conn, REFERENCE, batches)
    expected_leads = conn.execute(SNAPSHOT, (SOURCE,)).fetchall()
    conn.execute("delete from public.leads where source = %s", (SOURCE,))

    results = run(conn, "upsert_leads", batches)
    leads = conn.execute(SNAPSHOT, (SOURCE,)).fetchall()

    assert expected_leads, "the batches stored no lead: the comparison would be empty"
    assert sum(r[1] for r in expected_results) > 0, "no merge into an existing lead"
    assert results == expected_results
    assert leads == expected_leads
