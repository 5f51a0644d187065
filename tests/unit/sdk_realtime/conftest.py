"""Fixtures: the Realtime double, and ``realtime_changes`` opened sync or async alike.

Every scenario runs twice, against the generated sync client and the async source, through
one small adapter: ``signals.next()`` returns the next signal either way (as the
``dashin_sdk._async.backend`` classes, so one assertion fits both).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from dashin_sdk import backoff
from dashin_sdk._async import realtime as async_realtime
from dashin_sdk._async.backend import Change, Resync, Signal
from dashin_sdk._sync import backend as sync_backend
from dashin_sdk._sync import realtime as sync_realtime
from dashin_sdk.settings import ClientOptions
from tests.support.realtime_double import RealtimeDouble

APIKEY = "anon-key-for-tests"
TABLE = "scraping_jobs"


@dataclass
class Tokens:
    """What ``access_token()`` returns (the last one) and how often it was asked."""

    issued: list[str] = field(default_factory=lambda: ["token-1"])
    asked: int = 0
    failures: list[Exception] = field(default_factory=list)  # raised by the next calls

    def current(self) -> str:
        self.asked += 1
        if self.failures:
            raise self.failures.pop(0)
        return self.issued[-1]


class Signals(Protocol):
    def next(self) -> Signal: ...

    def close(self) -> None: ...


class SyncSignals:
    """The generated client's signals, as the async module's classes (so tests compare)."""

    def __init__(self, generator: Generator[sync_backend.Signal, None, None]) -> None:
        self._generator = generator

    def next(self) -> Signal:
        signal = next(self._generator)
        if isinstance(signal, sync_backend.Change):
            return Change(row_id=signal.row_id, record=signal.record)
        assert isinstance(signal, sync_backend.Resync)
        return Resync()

    def close(self) -> None:
        self._generator.close()


class AsyncSignals:
    """Drives the async generator on a private loop (callable from any one thread at a time)."""

    def __init__(self, generator: AsyncGenerator[Signal, None]) -> None:
        self._generator = generator
        self._loop = asyncio.new_event_loop()

    def next(self) -> Signal:
        return self._loop.run_until_complete(anext(self._generator))

    def close(self) -> None:
        if self._loop.is_closed():
            return  # closed by the test already
        try:
            self._loop.run_until_complete(self._generator.aclose())
        finally:
            self._loop.close()


OpenSignals = Callable[..., Signals]


@pytest.fixture(autouse=True)
def backoff_attempts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The attempt numbers reconnects asked ``backoff.delay`` about; no actual waiting."""
    attempts: list[int] = []

    def no_delay(attempt: int, **kwargs: Any) -> float:
        attempts.append(attempt)
        return 0.0

    monkeypatch.setattr(backoff, "delay", no_delay)
    return attempts


@pytest.fixture
def realtime() -> Iterator[RealtimeDouble]:
    with RealtimeDouble() as double:
        yield double


@pytest.fixture
def tokens() -> Tokens:
    return Tokens()


@pytest.fixture(params=["sync", "async"])
def open_signals(
    request: pytest.FixtureRequest, realtime: RealtimeDouble, tokens: Tokens
) -> Iterator[OpenSignals]:
    """``open_signals(filter=..., poll=..., heartbeat=...)``: a subscription, closed after."""
    opened: list[Signals] = []

    def open_(
        *, filter: str | None = "id=eq.x", poll: float = 60.0, heartbeat: float = 60.0
    ) -> Signals:
        common: dict[str, Any] = {
            "url": realtime.http_url,
            "apikey": APIKEY,
            "table": TABLE,
            "filter": filter,
            "options": ClientOptions(timeout=5.0, realtime_poll_interval=poll),
            "heartbeat_interval": heartbeat,
        }
        signals: Signals
        if request.param == "sync":
            signals = SyncSignals(
                sync_realtime.realtime_changes(access_token=tokens.current, **common)
            )
        else:

            async def access_token() -> str:
                return tokens.current()

            signals = AsyncSignals(
                async_realtime.realtime_changes(access_token=access_token, **common)
            )
        opened.append(signals)
        return signals

    yield open_
    for signals in opened:
        signals.close()
