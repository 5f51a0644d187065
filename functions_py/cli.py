"""The ``dashin`` command.

    dashin local start|stop|status|reset|env|destroy   the local Postgres stack
    dashin db migrate --db-url URL [--seed]            platform.sql + migrations (+ seed)
    dashin demo                                        a CSV import end to end, with metrics
    dashin worker [--concurrency N] [--burst] ...      run scraping jobs from the queue
    dashin jobs create|start|pause|resume|cancel|logs|watch   control and follow jobs

Expected failures (no PostgreSQL 15, a port in use, a failing migration, ...) print one line
and exit 1; only bugs show a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dashin_sdk import AsyncDashin, DashinError
from dashin_sdk.local import (
    LocalStack,
    LocalStackError,
    MigrationReport,
    SeedOutcome,
    find_supabase_project,
    migrate,
)
from functions_py import demo as demo_run
from functions_py.demo import DEMO_AGENCY_ID, fetch_agency_overview, render_overview
from functions_py.worker import Worker, WorkerOptions
from functions_py.worker.runner import (
    default_concurrency,
    default_transform_processes,
    default_worker_id,
)
from functions_py.worker.watch import final_counts, watch_job

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dashin backend tools.")
local_app = typer.Typer(no_args_is_help=True, help="The local PostgreSQL 15 stack.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema management.")
app.add_typer(local_app, name="local")
app.add_typer(db_app, name="db")
jobs_app = typer.Typer(no_args_is_help=True, help="Scraping jobs: create, control, follow.")
app.add_typer(jobs_app, name="jobs")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def _expected_errors() -> Iterator[None]:
    try:
        yield
    except (LocalStackError, DashinError) as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except psycopg.Error as exc:
        message = exc.diag.message_primary or " ".join(str(exc).split())
        err_console.print(f"[bold red]database error:[/bold red] {escape(message)}")
        raise typer.Exit(1) from None


def _with_client(work: Callable[[AsyncDashin], Awaitable[T]]) -> T:
    """Run ``work`` with a client from the environment (DASHIN_DATABASE_URL or SUPABASE_*)."""

    async def main() -> T:
        async with AsyncDashin.from_env() as dx:
            return await work(dx)

    with _expected_errors():
        return asyncio.run(main())


def _print_report(report: MigrationReport) -> None:
    if report.platform_applied:
        console.print("applied platform.sql (Supabase platform stand-ins)")
    for path in report.skipped_files:
        console.print(f"[yellow]skipped {path.name}: not <14-digit version>_<name>.sql[/yellow]")
    for migration in report.applied:
        console.print(f"applied migration [bold]{migration.filename}[/bold]")
    if not report.applied:
        console.print("migrations: up to date")
    if report.seed is not SeedOutcome.NOT_REQUESTED:
        console.print(f"seed: {report.seed.value}")


@local_app.command("start")
def local_start() -> None:
    """Create (first time), start and migrate the local stack; print its URL."""
    with _expected_errors():
        result = LocalStack().start()
    if result.created:
        console.print("created a new cluster")
    console.print("started" if result.started else "already running")
    _print_report(result.report)
    console.print(f"[green]DASHIN_DATABASE_URL={result.url}[/green]")


@local_app.command("stop")
def local_stop() -> None:
    """Stop the local stack (its data is kept)."""
    with _expected_errors():
        stopped = LocalStack().stop()
    console.print("stopped" if stopped else "not running")


@local_app.command("status")
def local_status() -> None:
    """Show whether the local stack exists and runs, where, and its URL."""
    with _expected_errors():
        status = LocalStack().status()
    for line in status.lines():
        console.print(escape(line))


@local_app.command("reset")
def local_reset() -> None:
    """Delete the local database and rebuild it from platform.sql, migrations and seed."""
    with _expected_errors():
        result = LocalStack().reset()
    _print_report(result.report)
    console.print(f"[green]DASHIN_DATABASE_URL={result.url}[/green]")


@local_app.command("destroy")
def local_destroy() -> None:
    """Stop the local stack and delete its data."""
    with _expected_errors():
        LocalStack().destroy()
    console.print("destroyed")


@local_app.command("env")
def local_env() -> None:
    """Print shell exports for the local stack: eval "$(dashin local env)"."""
    with _expected_errors():
        url = LocalStack().url
    typer.echo(f"export DASHIN_DATABASE_URL={url}")


@db_app.command("migrate")
def db_migrate(
    db_url: Annotated[
        str,
        typer.Option("--db-url", envvar="DASHIN_DATABASE_URL", help="Postgres connection URL."),
    ],
    seed: Annotated[bool, typer.Option("--seed/--no-seed", help="Also apply seed.sql.")] = False,
) -> None:
    """Apply platform.sql (where missing), pending migrations and optionally the seed."""
    with _expected_errors():
        report = migrate(db_url, find_supabase_project(), seed=seed)
    _print_report(report)


@app.command("demo")
def demo(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the results as JSON (for scripts).")
    ] = False,
    overview_only: Annotated[
        bool, typer.Option("--overview", help="Only show the demo agency's overview.")
    ] = False,
) -> None:
    """Import the bundled sample CSV through a job and a worker; show the metrics.

    Starts the local stack if needed (or uses DASHIN_DATABASE_URL), creates a campaign, a CSV
    data source and a job, runs a worker in-process with a live progress bar, then prints the
    campaign's metrics and the job's counts. Re-runs reuse the demo campaign and data source
    and add a new job.
    """
    with _expected_errors():
        url = demo_run.database_url()
        if overview_only:
            overview = fetch_agency_overview(url, DEMO_AGENCY_ID)
            if as_json:
                print(json.dumps(overview, indent=2, sort_keys=True))
            else:
                render_overview(console, overview, DEMO_AGENCY_ID)
            return
        result = asyncio.run(demo_run.run_demo(url, console, quiet=as_json))
    if as_json:
        # Plain stdout, no rich markup: the output is for machines.
        print(json.dumps(result, indent=2, sort_keys=True, default=str))


@app.command("worker")
def worker(
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="Jobs run at once (default: min(4, CPUs)).")
    ] = default_concurrency(),
    burst: Annotated[
        bool, typer.Option("--burst", help="Exit once no runnable job is left.")
    ] = False,
    worker_id: Annotated[
        str | None, typer.Option("--worker-id", help="Name in job leases (default: host:pid).")
    ] = None,
    lease_seconds: Annotated[
        int, typer.Option(min=5, max=3600, help="Lease length; renewed by heartbeats.")
    ] = WorkerOptions.lease_seconds,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Records per connector fetch.")
    ] = WorkerOptions.batch_size,
    transform_processes: Annotated[
        int,
        typer.Option(min=0, max=32, help="Processes normalising records (0: in-process)."),
    ] = default_transform_processes(),
    poll_interval: Annotated[
        float, typer.Option(min=0.1, help="Look for work this often without a wake-up (s).")
    ] = WorkerOptions.poll_interval,
    archive_dir: Annotated[
        Path | None,
        typer.Option(help="Directory for raw records and results (default: DASHIN_RAW_ARCHIVE)."),
    ] = None,
) -> None:
    """Run scraping jobs from the queue until SIGTERM / Ctrl-C (or, with --burst, idle)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    options = WorkerOptions(
        concurrency=concurrency,
        worker_id=worker_id or default_worker_id(),
        lease_seconds=lease_seconds,
        burst=burst,
        poll_interval=poll_interval,
        batch_size=batch_size,
        transform_processes=transform_processes,
        archive_dir=archive_dir,
    )

    async def run(dx: AsyncDashin) -> dict[str, int]:
        from functions_py.worker.signals import graceful_shutdown

        runner = Worker(dx, options)
        with graceful_shutdown(runner.stop):
            report = await runner.run()
        return report.by_status

    err_console.print(f"worker {options.worker_id}: {options.concurrency} slot(s)")
    outcomes = _with_client(run)
    err_console.print(f"worker {options.worker_id} stopped: {outcomes or 'no jobs run'}")


def _json_arg(name: str, value: str | None) -> dict[str, Any]:
    if value is None:
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc}", param_hint=name) from None
    if not isinstance(parsed, dict):
        raise typer.BadParameter("must be a JSON object", param_hint=name)
    return parsed


def _print_job(job: Any, as_json: bool) -> None:
    if as_json:
        print(job.model_dump_json(indent=2))
    else:
        console.print(final_counts(job))


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@jobs_app.command("create")
def jobs_create(
    data_source_id: Annotated[str, typer.Option("--data-source", help="Data source id.")],
    campaign_id: Annotated[str | None, typer.Option("--campaign", help="Campaign id.")] = None,
    criteria: Annotated[
        str | None, typer.Option("--criteria", help="Search criteria (JSON object).")
    ] = None,
    config: Annotated[str | None, typer.Option(help="Job config (JSON object).")] = None,
    start: Annotated[bool, typer.Option("--start", help="Queue it for a worker now.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Create a pending job (and with --start, queue it)."""
    search = _json_arg("--criteria", criteria)
    job_config = _json_arg("--config", config)

    async def work(dx: AsyncDashin) -> Any:
        job = await dx.jobs.create(
            data_source_id, search, campaign_id=campaign_id, config=job_config or None
        )
        return await dx.jobs.start(job.id) if start else job

    _print_job(_with_client(work), as_json)


def _transition(action: str, job_id: str, as_json: bool) -> None:
    async def work(dx: AsyncDashin) -> Any:
        method: Callable[[str], Awaitable[Any]] = getattr(dx.jobs, action)
        return await method(job_id)

    _print_job(_with_client(work), as_json)


@jobs_app.command("start")
def jobs_start(job_id: str, as_json: JsonFlag = False) -> None:
    """Queue a pending job for a worker."""
    _transition("start", job_id, as_json)


@jobs_app.command("pause")
def jobs_pause(job_id: str, as_json: JsonFlag = False) -> None:
    """Pause a running job (its worker stops within 2 s; resume continues it)."""
    _transition("pause", job_id, as_json)


@jobs_app.command("resume")
def jobs_resume(job_id: str, as_json: JsonFlag = False) -> None:
    """Re-queue a paused job; it continues from its checkpoint."""
    _transition("resume", job_id, as_json)


@jobs_app.command("cancel")
def jobs_cancel(job_id: str, as_json: JsonFlag = False) -> None:
    """Cancel a pending, running or paused job."""
    _transition("cancel", job_id, as_json)


@jobs_app.command("logs")
def jobs_logs(
    job_id: str,
    level: Annotated[str | None, typer.Option(help="Only this level.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Lines to show.")] = 100,
    as_json: JsonFlag = False,
) -> None:
    """A job's log, oldest first."""

    async def work(dx: AsyncDashin) -> list[Any]:
        page = await dx.jobs.logs(job_id, level=level, page_size=limit)
        return list(page.data)

    lines = _with_client(work)
    if as_json:
        print(json.dumps([line.model_dump(mode="json") for line in lines], indent=2))
        return
    table = Table(title=f"Job {job_id} log", show_header=True, header_style="bold")
    for column in ("time", "level", "message", "details"):
        table.add_column(column)
    for line in lines:
        details = json.dumps(line.details, default=str) if line.details else ""
        table.add_row(
            line.created_at.strftime("%H:%M:%S.%f")[:-3],
            line.level.value,
            escape(line.message),
            escape(details[:120]),
        )
    console.print(table)


@jobs_app.command("watch")
def jobs_watch(job_id: str) -> None:
    """A live progress bar until the job ends, then its final counts."""

    async def work(dx: AsyncDashin) -> Any:
        return await watch_job(dx, job_id, console)

    job = _with_client(work)
    if job is not None:
        console.print(final_counts(job))


def main() -> None:
    app()
