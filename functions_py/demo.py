"""``dashin demo``: show the seeded demo agency's overview from the local stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any, LiteralString
from uuid import UUID

import psycopg
from rich.console import Console
from rich.json import JSON
from rich.panel import Panel
from rich.table import Table

# Defined by supabase/seed.sql.
DEMO_AGENCY_ID = UUID("11111111-1111-4111-8111-111111111111")


def _overview_query() -> LiteralString:
    text = (Path(__file__).parent / "sql" / "agency_overview.sql").read_text("utf-8")
    # Our own file, not user input; mypy treats LiteralString as str.
    return text


def fetch_agency_overview(db_url: str, agency_id: UUID = DEMO_AGENCY_ID) -> Any:
    """The JSON document ``public.get_agency_overview(agency_id)`` returns."""
    with psycopg.connect(db_url, connect_timeout=10) as conn:
        row = conn.execute(_overview_query(), {"agency_id": str(agency_id)}).fetchone()
    return row[0] if row else None


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
