"""The HTTP helper every API connector goes through.

Per request: take a token from the data source's rate limiter, send, and sort the outcome:

- 2xx (and statuses the caller accepts, e.g. a 404 "no match"): returned;
- 429: wait for ``Retry-After`` or the provider's rate-limit headers (pausing the shared
  limiter so the other job slots wait too) and retry, ``max_rate_limit_retries`` times, then
  ``TransientError``;
- 5xx, timeouts, connection errors: jittered exponential backoff and retry, then
  ``TransientError``;
- 401/403: ``AuthFailedError``; other 4xx: ``PermanentError``.

Error messages never contain credentials: known secret values are redacted from anything
quoted from a response, and request headers are never quoted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import httpx

from dashin_sdk import backoff
from functions_py.connectors.errors import AuthFailedError, PermanentError, TransientError
from functions_py.connectors.ratelimit import RateLimiter

#: Indirection so tests can replace the sleeping (no real waits in tests).
sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
clock: Callable[[], float] = time.monotonic
wall_clock: Callable[[], float] = time.time

#: Seconds beyond which a 429 is not waited out in-process: the job is retried later.
MAX_INLINE_WAIT = 120.0
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def rate_limit_wait(response: httpx.Response) -> float | None:
    """Seconds a 429 (or exhausted window) asks us to wait, from the headers providers send.

    ``Retry-After`` (seconds or an HTTP date); ``X-RateLimit-Reset`` / ``x-ratelimit-reset``
    (seconds, or a Unix timestamp when large); Apollo's ``x-*-requests-left`` counters (an
    exhausted minute means the next minute, an exhausted hour or day means much later).
    """
    headers = response.headers
    seconds = backoff.parse_retry_after(headers.get("retry-after"), now=wall_clock())
    if seconds is not None:
        return seconds
    reset = headers.get("x-ratelimit-reset") or headers.get("x-rate-limit-reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            value = -1.0
        if value > 1_000_000_000:  # a Unix timestamp (seconds, or milliseconds)
            if value > 1_000_000_000_000:
                value /= 1000.0
            return max(0.0, value - wall_clock())
        if value >= 0:
            return value
    if headers.get("x-daily-requests-left") == "0":
        return 24 * 3600.0
    if headers.get("x-hourly-requests-left") == "0":
        return 3600.0
    if headers.get("x-minute-requests-left") == "0":
        return 60.0
    return None


class HttpClient:
    """Retrying, rate-limited requests for one connector."""

    def __init__(
        self,
        client: httpx.AsyncClient | None,
        limiter: RateLimiter | None,
        *,
        provider: str,
        secrets: Iterable[str] = (),
        max_retries: int = 3,
        max_rate_limit_retries: int = 3,
    ) -> None:
        self._own = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=DEFAULT_TIMEOUT)
        self._limiter = limiter
        self.provider = provider
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)
        self.max_retries = max_retries
        self.max_rate_limit_retries = max_rate_limit_retries

    def redact(self, message: str) -> str:
        """``message`` with every known secret value replaced."""
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
        return message

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        accept_statuses: Iterable[int] = (),
    ) -> httpx.Response:
        """Send with retries; see the module docstring for what is retried and raised."""
        accepted = set(accept_statuses)
        failures = 0
        rate_limited = 0
        what = f"{self.provider}: {method} {_without_query(url)}"
        while True:
            if self._limiter is not None:
                await self._limiter.acquire()
            try:
                response = await self._client.request(
                    method,
                    url,
                    headers=headers,
                    params=params,
                    json=json,
                    data=data,
                    auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.TransportError as exc:  # timeouts included
                failures += 1
                if failures > self.max_retries:
                    problem = (
                        "timed out"
                        if isinstance(exc, httpx.TimeoutException)
                        else f"failed: {type(exc).__name__}"
                    )
                    raise TransientError(f"{what} {problem} ({failures} attempts)") from None
                await sleep(backoff.delay(failures))
                continue

            status = response.status_code
            if status < 400 or status in accepted:
                return response
            if status == 429:
                rate_limited += 1
                wait = rate_limit_wait(response)
                if rate_limited > self.max_rate_limit_retries or (
                    wait is not None and wait > MAX_INLINE_WAIT
                ):
                    raise TransientError(
                        f"{what} rate limited (HTTP 429, {rate_limited} attempts)",
                        retry_after=wait,
                    )
                # The provider's own wait in full (at most MAX_INLINE_WAIT, see above):
                # backoff.delay caps a Retry-After at the SDK's 60 s.
                delay = (
                    wait if wait is not None else backoff.delay(rate_limited, base=1.0, cap=30.0)
                )
                if self._limiter is not None:
                    self._limiter.pause_until(clock() + delay)
                await sleep(delay)
                continue
            if status >= 500:
                failures += 1
                if failures > self.max_retries:
                    raise TransientError(
                        f"{what} failed with HTTP {status} ({failures} attempts)",
                        retry_after=rate_limit_wait(response),
                    )
                await sleep(backoff.delay(failures))
                continue
            if status in (401, 403):
                raise AuthFailedError(
                    f"{self.provider} rejected the credentials (HTTP {status}): "
                    "check the data source's API key or token"
                )
            raise PermanentError(f"{what} failed with HTTP {status}: {self._snippet(response)}")

    def _snippet(self, response: httpx.Response) -> str:
        body = response.text[:300].replace("\n", " ")
        return self.redact(body)

    async def aclose(self) -> None:
        if self._own:
            await self._client.aclose()


def _without_query(url: str) -> str:
    # Query strings can carry API keys (some APIs take them there): never quote them.
    return url.split("?", 1)[0]
