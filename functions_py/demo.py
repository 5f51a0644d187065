"""``dashin demo``: a CSV import end to end on the local stack.

Creates (or reuses) the demo campaign and a CSV data source over the bundled sample (5,000+
synthetic leads with duplicates and bad rows), creates and starts a job, runs a worker
in-process with a live progress bar, then shows the campaign's metrics and the job's counts.

Re-running is idempotent: leads are deduplicated per agency, so importing the same file into
a *new* campaign would attach nothing to it (every row is already a lead of the agency).
The demo therefore reuses its campaign and data source (found by name) and only adds a new
job each run; a re-run shows the same campaign metrics and a job whose rows all merged into
existing leads.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from pathlib import Path
from typing import Any, LiteralString
from uuid import UUID

import psycopg
from rich.console import Console
from rich.json import JSON
from rich.panel import Panel
from rich.table import Table

from dashin_sdk import AsyncDashin
from dashin_sdk.local import LocalStack
from dashin_sdk.models.tables import Campaign, DataSource, ScrapingJob
from functions_py.samples import bundled_sample_path
from functions_py.worker import Worker, WorkerOptions
from functions_py.worker.watch import final_counts, show_progress

# Defined by supabase/seed.sql.
DEMO_AGENCY_ID = UUID("11111111-1111-4111-8111-111111111111")
DEMO_ADMIN_ID = UUID("00000000-0000-4000-8000-000000000011")
DEMO_CAMPAIGN = "Demo: CSV import"
DEMO_SOURCE = "Demo: bundled sample CSV"
SAMPLE_CSV = bundled_sample_path()
# What the demo qualifies on: decision makers.
DEMO_CRITERIA: dict[str, Any] = {
    "title_keywords": ["CEO", "CTO", "Founder", "VP", "Head", "Director"]
}


def database_url() -> str:
    """The local stack's URL, starting (and on first use creating) the stack."""
    return LocalStack().start().url


def _overview_query() -> LiteralString:
    text = (Path(__file__).parent / "sql" / "agency_overview.sql").read_text("utf-8")
    # Our own file, not user input; mypy treats LiteralString as str.
    return text


def fetch_agency_overview(db_url: str, agency_id: UUID = DEMO_AGENCY_ID) -> Any:
    """The JSON document ``public.get_agency_overview(agency_id)`` returns."""
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        row = conn.execute(_overview_query(), {"agency_id": str(agency_id)}).fetchone()
    return row[0] if row else None


async def _campaign(admin: AsyncDashin) -> Campaign:
    found = await admin.campaigns.list(search=DEMO_CAMPAIGN, page_size=10)
    for campaign in found.data:
        if campaign.name == DEMO_CAMPAIGN:
            return campaign
    return await admin.campaigns.create(
        name=DEMO_CAMPAIGN,
        description="Leads imported by `dashin demo` from the bundled sample CSV",
        status="active",
    )


async def _data_source(admin: AsyncDashin) -> DataSource:
    config = {"path": str(SAMPLE_CSV)}
    found = await admin.data_sources.list(search=DEMO_SOURCE, page_size=10)
    for source in found.data:
        if source.name == DEMO_SOURCE:
            if source.config != config:  # the checkout moved: point at the file again
                source = await admin.data_sources.update(source.id, config=config)
            return source
    return await admin.data_sources.create(
        name=DEMO_SOURCE,
        type="csv",
        config=config,
        description="Synthetic leads with duplicates and bad rows",
    )


async def run_demo(db_url: str, console: Console, *, quiet: bool = False) -> dict[str, Any]:
    """Import the sample through a job and an in-process worker; the figures as a dict."""
    out = Console(quiet=True) if quiet else console
    async with AsyncDashin(database_url=db_url) as dx:
        admin = dx.as_user(DEMO_ADMIN_ID)
        campaign = await _campaign(admin)
        source = await _data_source(admin)
        job = await admin.jobs.create(source.id, DEMO_CRITERIA, campaign_id=campaign.id)
        job = await admin.jobs.start(job.id)
        out.print(f"job [bold]{job.id}[/bold]: importing {SAMPLE_CSV.name} into {campaign.name!r}")

        worker = Worker(dx, WorkerOptions(concurrency=1, burst=True, worker_id="demo-worker"))
        final = await _run_with_progress(admin, worker, job, out)
        campaign = await admin.campaigns.get(campaign.id)

    if not quiet:
        out.print(final_counts(final))
        out.print(_campaign_table(campaign))
    return {
        "campaign": campaign.model_dump(mode="json"),
        "job": final.model_dump(mode="json"),
    }


async def _run_with_progress(
    admin: AsyncDashin, worker: Worker, job: ScrapingJob, out: Console
) -> ScrapingJob:
    events = admin.jobs.watch(job.id)
    async with aclosing(events):
        view = asyncio.create_task(show_progress(out, events, label="import"))
        await worker.run()
        try:
            last = await asyncio.wait_for(view, timeout=30)
        except TimeoutError:
            last = None
    return await admin.jobs.get(job.id) if last is None or not last.status.is_terminal else last


def _campaign_table(campaign: Campaign) -> Table:
    table = Table(title=f"Campaign {campaign.name!r}", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in ("leads_count", "qualified_leads_count", "contacted_count", "responded_count"):
        table.add_row(name.replace("_", " "), str(getattr(campaign, name)))
    return table


def _summary(overview: dict[str, Any]) -> Table:
    table = Table(title="At a glance", show_header=True, header_style="bold")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in overview.items():
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                if not isinstance(sub_value, dict | list):
                    table.add_row(f"{key}.{sub_key}", str(sub_value))
        elif not isinstance(value, list):
            table.add_row(key, str(value))
    return table


def render_overview(console: Console, overview: Any, agency_id: UUID = DEMO_AGENCY_ID) -> None:
    if overview is None:
        console.print(f"[yellow]No overview for agency {agency_id}[/yellow]")
        return
    # The table is the readable form; anything not shaped like the spec's overview (a dict of
    # sections) is shown as the raw JSON the database returned.
    body: Any = _summary(overview) if isinstance(overview, dict) else JSON.from_data(overview)
    console.print(Panel(body, title=f"Agency overview · {agency_id}", expand=False))
