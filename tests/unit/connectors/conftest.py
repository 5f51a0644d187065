"""Shared fixtures: no real sleeping in connector tests (waits are recorded instead)."""

from __future__ import annotations

import pytest

from functions_py.connectors import http as connector_http


class SleepRecorder:
    """Stands in for asyncio.sleep in the HTTP helper: records each requested wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr(connector_http, "sleep", recorder)
    return recorder
