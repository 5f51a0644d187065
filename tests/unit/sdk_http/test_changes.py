"""``changes()`` hands the right subscription to the Realtime client (tested on its own)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any
from uuid import UUID

import pytest

from dashin_sdk._async import backend as async_backend
from dashin_sdk._async import realtime as async_realtime
from dashin_sdk._sync import backend as sync_backend
from dashin_sdk._sync import realtime as sync_realtime
from dashin_sdk.models.enums import JobStatus
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A
from tests.unit.sdk_http.harness import Harness


@pytest.fixture
def subscriptions(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace Realtime with one that records its arguments and replays some signals."""
    seen: list[dict[str, Any]] = []
    # Each tree has its own signal classes: the sync resources only know the sync ones.
    async_signals = signals(async_backend.Change, async_backend.Resync)
    sync_signals = signals(sync_backend.Change, sync_backend.Resync)

    async def fake_async(**kwargs: Any) -> AsyncGenerator[Any, None]:
        kwargs["token"] = await kwargs["access_token"]()
        seen.append(kwargs)
        for signal in async_signals:
            yield signal

    def fake_sync(**kwargs: Any) -> Generator[Any, None, None]:
        kwargs["token"] = kwargs["access_token"]()
        seen.append(kwargs)
        yield from sync_signals

    monkeypatch.setattr(async_realtime, "realtime_changes", fake_async)
    monkeypatch.setattr(sync_realtime, "realtime_changes", fake_sync)
    return seen


def signals(change: Any, resync: Any) -> list[Any]:
    return [
        resync(),
        change(row_id=UUID(pg.JOB_ID), record=pg.job(status="completed", progress=100)),
        change(row_id=UUID(pg.NOTIFICATION_ID), record=pg.notification()),
    ]


def test_watching_a_job_subscribes_to_its_row(
    h: Harness, subscriptions: list[dict[str, Any]]
) -> None:
    dx = h.signed_in(ADMIN_A)
    h.api.get("/rest/v1/scraping_jobs").mock(return_value=pg.rows([pg.job(status="running")]))
    events = h.collect(dx.jobs.watch(pg.JOB_ID))
    assert [event.job.status for event in events] == [JobStatus.RUNNING, JobStatus.COMPLETED]
    (subscription,) = subscriptions
    assert subscription["table"] == "scraping_jobs"
    assert subscription["filter"] == f"id=eq.{pg.JOB_ID}"
    assert subscription["url"] == pg.URL
    assert subscription["apikey"] == pg.ANON_KEY
    assert subscription["token"] == pg.user_token(ADMIN_A)


def test_notifications_subscribe_to_the_callers_rows(
    h: Harness, subscriptions: list[dict[str, Any]]
) -> None:
    dx = h.signed_in(ADMIN_A)
    h.api.get("/rest/v1/notifications").mock(return_value=pg.rows([], total=0))

    def first(stream: Any) -> Any:
        return h.run(stream.__anext__()) if h.mode == "async" else next(stream)

    stream = dx.notifications.stream()
    event = first(stream)
    h.run(stream.aclose()) if h.mode == "async" else stream.close()
    assert str(event.notification.id) == pg.NOTIFICATION_ID
    (subscription,) = subscriptions
    assert subscription["table"] == "notifications"
    assert subscription["filter"] == f"user_id=eq.{ADMIN_A}"
