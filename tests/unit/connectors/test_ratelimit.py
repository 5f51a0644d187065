"""The token bucket on a fake clock: sleeping advances the clock, nothing really waits."""

from __future__ import annotations

import asyncio

import pytest

from functions_py.connectors.ratelimit import RateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, rate: float, burst: int) -> RateLimiter:
    return RateLimiter(rate, burst, clock=clock, sleep=clock.sleep)


def test_burst_is_served_without_waiting() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=2, burst=5)

    async def run() -> None:
        for _ in range(5):
            await bucket.acquire()

    asyncio.run(run())
    assert clock.sleeps == []
    assert clock.now == 1000.0


def test_after_the_burst_tokens_come_at_the_rate() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=4, burst=2)

    async def run() -> None:
        for _ in range(10):
            await bucket.acquire()

    asyncio.run(run())
    # 2 from the burst, then 8 more at 4 per second: 2 seconds of fake time.
    assert clock.now - 1000.0 == pytest.approx(2.0)
    assert all(s == pytest.approx(0.25) for s in clock.sleeps)


def test_idle_time_refills_up_to_the_burst_only() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=1, burst=3)

    async def run() -> None:
        for _ in range(3):
            await bucket.acquire()
        clock.now += 100.0  # idle for a long time
        for _ in range(4):
            await bucket.acquire()

    asyncio.run(run())
    # 3 tokens were banked at most; the 4th waited one token's time.
    assert clock.sleeps == [pytest.approx(1.0)]


def test_multi_token_acquire_and_oversized_request() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=2, burst=4)

    async def run() -> None:
        await bucket.acquire(4)
        await bucket.acquire(3)

    asyncio.run(run())
    assert clock.now - 1000.0 == pytest.approx(1.5)
    with pytest.raises(ValueError, match="bucket of 4"):
        asyncio.run(bucket.acquire(5))


def test_pause_until_holds_every_acquire_and_empties_the_bucket() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=10, burst=10)

    async def run() -> None:
        await bucket.acquire()
        bucket.pause_until(clock.now + 30.0)
        await bucket.acquire()

    asyncio.run(run())
    # Waited out the pause, then one token's time from an empty bucket.
    assert clock.now - 1000.0 == pytest.approx(30.1)


def test_shared_bucket_serves_concurrent_slots_at_the_rate() -> None:
    clock = FakeClock()
    bucket = limiter(clock, rate=5, burst=1)
    order: list[int] = []

    async def slot(n: int) -> None:
        for _ in range(3):
            await bucket.acquire()
            order.append(n)

    async def run() -> None:
        await asyncio.gather(slot(1), slot(2), slot(3))

    asyncio.run(run())
    assert len(order) == 9
    # 9 requests at 5/s with a burst of 1: 8 waits of 0.2 s.
    assert clock.now - 1000.0 == pytest.approx(1.6)


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="rate"):
        RateLimiter(0)
