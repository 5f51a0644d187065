"""pg_notify channels: job_status_change, new_notification, campaign_metrics_update."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support import factories
from tests.support.factories import Conn
from tests.support.identity import (
    A_RESEARCHER,
    AGENCY_A,
    CAMPAIGN_A1,
    DATA_SOURCE_A,
    RESEARCHER_A,
    acting_as,
    as_service_role,
)

Event = tuple[str, dict[str, Any]]
CHANNELS = ("job_status_change", "new_notification", "campaign_metrics_update")


@pytest.fixture
def listener(fresh_db_url: str) -> Iterator[Conn]:
    with factories.connect(fresh_db_url) as c:
        for channel in CHANNELS:
            c.execute(f"listen {channel}")
        yield c


def drain(listener: Conn, quiet: float = 0.3, limit: float = 5.0) -> list[Event]:
    """Every notification until none arrives for ``quiet`` seconds."""
    events: list[Event] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        batch = list(listener.notifies(timeout=quiet, stop_after=100))
        if not batch:
            break
        events += [(n.channel, json.loads(n.payload)) for n in batch]
    return events


def on(events: list[Event], channel: str) -> list[dict[str, Any]]:
    return [payload for ch, payload in events if ch == channel]


def test_job_events_through_the_lifecycle(conn: Conn, listener: Conn) -> None:
    with acting_as(conn, A_RESEARCHER) as cur:
        cur.execute(
            "insert into public.scraping_jobs (data_source_id, campaign_id) values (%s, %s)"
            " returning id::text",
            (DATA_SOURCE_A, CAMPAIGN_A1),
        )
        row = cur.fetchone()
    assert row is not None
    job_id = row[0]
    created = on(drain(listener), "job_status_change")
    assert len(created) == 1
    assert created[0]["id"] == job_id
    assert created[0]["agency_id"] == AGENCY_A
    assert created[0]["data_source_id"] == DATA_SOURCE_A
    assert created[0]["campaign_id"] == CAMPAIGN_A1
    assert (created[0]["status"], created[0]["previous_status"]) == ("pending", None)

    with acting_as(conn, A_RESEARCHER) as cur:
        cur.execute("select 1 from public.start_job(%s)", (job_id,))
    drain(listener)  # whether a start is announced: test_job_start_is_announced

    with as_service_role(conn) as cur:
        cur.execute("select 1 from public.claim_next_job('notify-worker', 60)")
    claimed = on(drain(listener), "job_status_change")
    assert [(e["id"], e["status"], e["previous_status"], e["worker_id"]) for e in claimed] == [
        (job_id, "running", "pending", "notify-worker")
    ]

    with as_service_role(conn) as cur:
        cur.execute(
            "select public.checkpoint_job(%s, 'notify-worker', '{}', 40, 12, 5, 3, 60)",
            (job_id,),
        )
        cur.execute(
            "select public.heartbeat_job(%s, 'notify-worker', 60)", (job_id,)
        )  # no visible change: no event
    progress = on(drain(listener), "job_status_change")
    assert len(progress) == 1
    assert {k: progress[0][k] for k in ("id", "status", "progress", "records_processed")} == {
        "id": job_id,
        "status": "running",
        "progress": 40,
        "records_processed": 12,
    }
    assert (progress[0]["records_qualified"], progress[0]["records_rejected"]) == (5, 3)

    with as_service_role(conn) as cur:
        cur.execute("select 1 from public.complete_job(%s, 'notify-worker')", (job_id,))
    events = drain(listener)
    done = on(events, "job_status_change")
    assert [(e["id"], e["status"], e["previous_status"], e["progress"]) for e in done] == [
        (job_id, "completed", "running", 100)
    ]
    assert done[0]["worker_id"] is None
    notes = on(events, "new_notification")
    assert len(notes) == 1
    assert notes[0]["user_id"] == RESEARCHER_A
    assert notes[0]["agency_id"] == AGENCY_A
    assert (notes[0]["type"], notes[0]["title"]) == ("success", "Scraping job completed")
    assert (notes[0]["related_entity_type"], notes[0]["related_entity_id"]) == (
        "scraping_job",
        job_id,
    )


def test_job_start_is_announced(conn: Conn, listener: Conn) -> None:
    job_id = factories.create_job(conn, AGENCY_A, DATA_SOURCE_A, created_by=RESEARCHER_A)
    drain(listener)
    with acting_as(conn, A_RESEARCHER) as cur:
        cur.execute("select 1 from public.start_job(%s)", (job_id,))
    started = on(drain(listener), "job_status_change")
    assert [(e["id"], e["status"]) for e in started] == [(job_id, "pending")]


def test_new_notification_event(conn: Conn, listener: Conn) -> None:
    note = factories.create_notification(conn, RESEARCHER_A, AGENCY_A, "Hello " + "x" * 600)
    events = on(drain(listener), "new_notification")
    assert len(events) == 1
    payload = events[0]
    assert payload["id"] == note
    assert payload["user_id"] == RESEARCHER_A
    assert payload["agency_id"] == AGENCY_A
    assert payload["type"] == "info"
    assert len(payload["title"]) == 500, "titles are cut to keep NOTIFY payloads small"
    assert payload["created_at"]


def test_campaign_metrics_event_on_lead_insert(conn: Conn, listener: Conn) -> None:
    before = conn.execute(
        "select leads_count, qualified_leads_count, contacted_count, responded_count"
        " from public.campaigns where id = %s",
        (CAMPAIGN_A1,),
    ).fetchone()
    assert before is not None
    with acting_as(conn, A_RESEARCHER) as cur:
        cur.execute(
            "insert into public.leads (campaign_id, email, status) values"
            " (%s, 'n1@notify.example.com', 'responded'), (%s, 'n2@notify.example.com', 'new')",
            (CAMPAIGN_A1, CAMPAIGN_A1),
        )
    events = on(drain(listener), "campaign_metrics_update")
    assert len(events) == 1, "one event per statement, not per lead"
    payload = events[0]
    assert payload["id"] == CAMPAIGN_A1
    assert payload["agency_id"] == AGENCY_A
    assert (
        payload["leads_count"],
        payload["qualified_leads_count"],
        payload["contacted_count"],
        payload["responded_count"],
    ) == (before[0] + 2, before[1], before[2] + 1, before[3] + 1)


def test_no_event_for_a_rolled_back_write(conn: Conn, listener: Conn) -> None:
    with acting_as(conn, A_RESEARCHER, rollback=True) as cur:
        cur.execute(
            "insert into public.leads (campaign_id, email) values (%s, 'gone@notify.example.com')",
            (CAMPAIGN_A1,),
        )
    assert drain(listener) == []
