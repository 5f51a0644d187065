"""Helpers for live-view tests on the direct backend (LISTEN/NOTIFY on a real database).

A watch or stream is a blocking generator; :class:`Consumer` runs one in a thread and hands
its items over a queue, so the test drives the job and reads the events in lockstep.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Iterator
from contextlib import closing
from typing import Generic, TypeVar

import pytest

from dashin_sdk import Dashin
from dashin_sdk.settings import ClientOptions
from tests.support.factories import Conn

T = TypeVar("T")

WAIT = 15.0  # seconds before a test gives up waiting for an event (a failure, not a measure)
# Long enough that no "quiet, re-read" resync happens during a test: every event comes from a
# notification or a reconnect, which is what these tests are about.
OPTIONS = ClientOptions(timeout=10.0, realtime_poll_interval=120.0)

_END = object()


class Consumer(Generic[T]):
    """Iterates ``items`` in a thread (at most ``limit`` of them, then closes it)."""

    def __init__(self, items: Generator[T, None, None], *, limit: int | None = None) -> None:
        self._items = items
        self._limit = limit
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with closing(self._items):
                for count, item in enumerate(self._items, start=1):
                    self._queue.put(item)
                    if count == self._limit:
                        break
        except BaseException as exc:  # handed to the test thread, which raises it
            self._queue.put(exc)
        self._queue.put(_END)

    def next(self) -> T:
        """The next item; fails the test if the generator ended, raised or stalled."""
        item = self._take()
        if item is _END:
            raise AssertionError("the generator ended early")
        return item  # type: ignore[return-value]

    def ended(self) -> bool:
        """Wait for the generator to finish; True if it ended with no further item."""
        item = self._take()
        self._thread.join(WAIT)
        return item is _END and not self._thread.is_alive()

    def _take(self) -> object:
        try:
            item = self._queue.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"nothing from the generator within {WAIT} s") from None
        if isinstance(item, BaseException):
            raise item
        return item


def listeners(conn: Conn) -> list[int]:
    """Backend pids LISTENing in this test's database (what a watch or stream holds open)."""
    rows = conn.execute(
        "select pid from pg_stat_activity"
        " where datname = current_database() and query ilike 'listen%%'"
    ).fetchall()
    return [row[0] for row in rows]


def wait_for_listeners(conn: Conn, count: int) -> list[int]:
    """Block until ``count`` listeners are connected (a stream shows nothing before then)."""
    deadline = time.monotonic() + WAIT
    while True:
        found = listeners(conn)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} listeners, found {found}")
        time.sleep(0.02)


@pytest.fixture
def dx(fresh_db_url: str) -> Iterator[Dashin]:
    """The service-role client (the worker's side) on this test's own database."""
    with Dashin(database_url=fresh_db_url, options=OPTIONS) as client:
        yield client
