"""A token bucket shared by a worker's job slots for one data source.

``rate`` tokens per second refill a bucket of at most ``burst`` tokens; ``acquire`` waits
until enough tokens are there. A provider's 429 can push everyone back at once with
``pause_until``. The clock and the sleep are injectable so tests run on a fake clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

# Float slack: refill arithmetic can leave 0.9999999 of a token, and a wait too small to move
# the clock would then repeat forever.
_EPSILON = 1e-9


class RateLimiter:
    """Token bucket: ``rate`` per second, at most ``burst`` at once."""

    def __init__(
        self,
        rate: float,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        self.rate = float(rate)
        self.burst = max(1, int(burst if burst is not None else max(1.0, rate)))
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._updated = clock()
        self._paused_until = 0.0
        # One waiter at a time takes tokens, so slots are served in arrival order.
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        if now <= self._updated:
            return
        self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def pause_until(self, monotonic_deadline: float) -> None:
        """Hold every ``acquire`` until the clock reaches ``monotonic_deadline``."""
        self._paused_until = max(self._paused_until, monotonic_deadline)
        # The provider said the window is spent: start again from an empty bucket then.
        self._tokens = 0.0
        self._updated = max(self._updated, self._paused_until)

    async def acquire(self, tokens: int = 1) -> None:
        """Wait until ``tokens`` tokens are available and take them."""
        if tokens < 1:
            return
        if tokens > self.burst:
            raise ValueError(f"cannot acquire {tokens} tokens from a bucket of {self.burst}")
        async with self._lock:
            while True:
                now = self._clock()
                if now < self._paused_until - _EPSILON:
                    await self._sleep(self._paused_until - now)
                    continue
                self._refill()
                if self._tokens >= tokens - _EPSILON:
                    self._tokens = max(0.0, self._tokens - tokens)
                    return
                await self._sleep((tokens - self._tokens) / self.rate)
