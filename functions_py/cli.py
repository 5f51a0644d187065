"""The ``dashin`` command.

    dashin local start|stop|status|reset|env|destroy   the local Postgres stack
    dashin db migrate --db-url URL [--seed]            platform.sql + migrations (+ seed)
    dashin demo                                        the seeded agency's overview

Expected failures (no PostgreSQL 15, a port in use, a failing migration, ...) print one line
and exit 1; only bugs show a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import psycopg
import typer
from rich.console import Console
from rich.markup import escape

from dashin_sdk.local import (
    LocalStack,
    LocalStackError,
    MigrationReport,
    SeedOutcome,
    find_supabase_project,
    migrate,
)
from functions_py.demo import DEMO_AGENCY_ID, fetch_agency_overview, render_overview

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Dashin backend tools.")
local_app = typer.Typer(no_args_is_help=True, help="The local PostgreSQL 15 stack.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema management.")
app.add_typer(local_app, name="local")
app.add_typer(db_app, name="db")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


@contextmanager
def _expected_errors() -> Iterator[None]:
    try:
        yield
    except LocalStackError as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except psycopg.Error as exc:
        message = exc.diag.message_primary or " ".join(str(exc).split())
        err_console.print(f"[bold red]database error:[/bold red] {escape(message)}")
        raise typer.Exit(1) from None


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
        bool, typer.Option("--json", help="Print the overview as JSON (for scripts).")
    ] = False,
) -> None:
    """Start the local stack if needed and show the seeded demo agency's overview."""
    with _expected_errors():
        stack = LocalStack()
        stack.start()
        overview = fetch_agency_overview(stack.url, DEMO_AGENCY_ID)
    if as_json:
        # Plain stdout, no rich markup: the output is for machines.
        print(json.dumps(overview, indent=2, sort_keys=True))
    else:
        render_overview(console, overview, DEMO_AGENCY_ID)


def main() -> None:
    app()
