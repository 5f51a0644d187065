"""Jittered exponential backoff, shared by retries and reconnects."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime


def delay(
    attempt: int, *, base: float = 0.25, cap: float = 8.0, retry_after: float | None = None
) -> float:
    """Seconds to wait before attempt ``attempt`` (1-based retry number).

    A server's ``Retry-After`` wins when given; otherwise "full jitter": uniform in
    ``[0, min(cap, base * 2**attempt)]``, so many clients retrying at once spread out.
    """
    if retry_after is not None and retry_after >= 0:
        return min(retry_after, 60.0)
    return random.uniform(0, min(cap, base * 2**attempt))  # noqa: S311 - not cryptographic


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """``Retry-After`` in seconds: a number of seconds, or an HTTP date counted from ``now``
    (Unix seconds, default the clock); ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
