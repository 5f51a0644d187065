"""A job's live progress bar in the terminal, fed by the SDK's job stream (``dx.jobs.watch``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import aclosing
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dashin_sdk import AsyncDashin
from dashin_sdk.models.events import JobEvent
from dashin_sdk.models.tables import ScrapingJob


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _counts(job: ScrapingJob) -> str:
    return (
        f"{job.status.value} · {job.records_processed} processed · "
        f"{job.records_qualified} qualified · {job.records_rejected} rejected"
    )


async def show_progress(
    console: Console, events: AsyncIterator[JobEvent], label: str = "job"
) -> ScrapingJob | None:
    """Draw the bar until the stream ends; the job's last state."""
    last: ScrapingJob | None = None
    with _bar(console) as progress:
        task = progress.add_task(label, total=100, counts="waiting")
        async for event in events:
            last = event.job
            progress.update(task, completed=last.progress, counts=_counts(last))
    return last


async def watch_job(dx: AsyncDashin, job_id: UUID | str, console: Console) -> ScrapingJob | None:
    """``dashin jobs watch``: the bar until the job completes, fails or is cancelled."""
    stream = dx.jobs.watch(job_id)
    async with aclosing(stream):
        return await show_progress(console, stream, label=f"job {str(job_id)[:8]}")


def final_counts(job: ScrapingJob) -> Table:
    table = Table(title="Job", show_header=False)
    table.add_column("field")
    table.add_column("value", justify="right")
    rows: Iterable[tuple[str, object]] = (
        ("id", job.id),
        ("status", job.status.value),
        ("progress", f"{job.progress}%"),
        ("records processed", job.records_processed),
        ("records qualified", job.records_qualified),
        ("records rejected", job.records_rejected),
        ("errors", job.error_count),
        ("attempts", job.attempts),
        ("duration (s)", job.duration_seconds),
    )
    for name, value in rows:
        table.add_row(name, "" if value is None else str(value))
    return table
