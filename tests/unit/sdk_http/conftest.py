"""Fixtures of the HTTP-backend tests: PostgREST and Auth doubled with respx, both clients.

Every test taking ``h`` runs twice, against ``AsyncDashin`` and the generated sync ``Dashin``;
``h.call(dx, lambda dx: dx.leads.get(...))`` awaits when the client is async. Backoff sleeps
are recorded instead of slept, so retry tests are instant and can assert the waits.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import respx

from dashin_sdk._async import _io as async_io
from dashin_sdk._sync import _io as sync_io
from tests.support import postgrest as pg
from tests.unit.sdk_http.harness import Harness


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=pg.URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff waits requested, in order (nothing actually sleeps)."""
    waited: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waited.append(seconds)

    def sync_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(async_io, "sleep", async_sleep)
    monkeypatch.setattr(sync_io, "sleep", sync_sleep)
    return waited


@pytest.fixture(params=["async", "sync"])
def h(
    request: pytest.FixtureRequest, api: respx.MockRouter, sleeps: list[float]
) -> Iterator[Harness]:
    harness = Harness(request.param, api)
    yield harness
    harness.close()
