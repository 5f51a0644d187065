"""SIGTERM / SIGINT: stop claiming, wind the running jobs down, release their leases."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

SHUTDOWN_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def graceful_shutdown(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` on the first SIGTERM / SIGINT while inside; restore the handlers after.

    A second signal is not special-cased: ``stop`` is idempotent and the wind-down is short
    (at most one batch). Outside the main thread (tests run workers in threads) nothing is
    installed.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in SHUTDOWN_SIGNALS:
        try:
            loop.add_signal_handler(sig, stop)
        except (RuntimeError, ValueError, NotImplementedError):
            continue  # not the main thread, or no signal support on this platform
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
