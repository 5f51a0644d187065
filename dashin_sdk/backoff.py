"""Jittered exponential backoff, shared by retries and reconnects."""

from __future__ import annotations

import random


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


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (HTTP dates are not used by PostgREST or Supabase)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
