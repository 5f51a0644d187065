"""The shared HTTP helper: retries, rate-limit waits, error mapping, no secrets in messages."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from functions_py.connectors import http as connector_http
from functions_py.connectors.errors import AuthFailedError, PermanentError, TransientError
from functions_py.connectors.http import HttpClient, rate_limit_wait
from functions_py.connectors.ratelimit import RateLimiter
from tests.unit.connectors.conftest import SleepRecorder

URL = "https://provider.test/v1/search"
SECRET = "sk_live_supersecret_1234"


def get(client: HttpClient, **kwargs: object) -> httpx.Response:
    async def run() -> httpx.Response:
        try:
            return await client.request("GET", URL, **kwargs)  # type: ignore[arg-type]
        finally:
            await client.aclose()

    return asyncio.run(run())


def client(**kwargs: object) -> HttpClient:
    return HttpClient(None, None, provider="acme", secrets=[SECRET], **kwargs)  # type: ignore[arg-type]


@respx.mock
def test_429_with_retry_after_waits_that_long_then_succeeds(slept: SleepRecorder) -> None:
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    response = get(client())
    assert response.json() == {"ok": True}
    assert route.call_count == 2
    assert slept.waits == [7.0]


@respx.mock
def test_a_retry_after_longer_than_a_minute_is_waited_out_in_full(slept: SleepRecorder) -> None:
    respx.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "90"}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    assert get(client()).json() == {"ok": True}
    # Below MAX_INLINE_WAIT, so waited here; retrying after 60 s would only meet another 429.
    assert slept.waits == [90.0]


@respx.mock
def test_429_without_retry_after_backs_off_and_gives_up_transient(slept: SleepRecorder) -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(429))
    with pytest.raises(TransientError, match="rate limited") as caught:
        get(client(max_rate_limit_retries=2))
    assert route.call_count == 3
    assert len(slept.waits) == 2
    assert all(0 <= w <= 30 for w in slept.waits)
    assert caught.value.retry_after is None


@respx.mock
def test_429_pauses_the_shared_limiter(
    slept: SleepRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connector_http, "clock", lambda: 500.0)
    respx.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"x-ratelimit-reset": "12"}),
            httpx.Response(200, json={}),
        ]
    )
    now = [500.0]
    limiter_waits: list[float] = []

    async def limiter_sleep(seconds: float) -> None:
        limiter_waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(100, 100, clock=lambda: now[0], sleep=limiter_sleep)
    get(HttpClient(None, limiter, provider="pdl"))
    assert slept.waits == [12.0]
    # The retry's acquire waited for the pause (which other slots sharing it see too).
    assert limiter_waits[0] == pytest.approx(12.0)


def test_rate_limit_headers_of_the_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_http, "wall_clock", lambda: 1_700_000_000.0)

    def wait(headers: dict[str, str]) -> float | None:
        return rate_limit_wait(httpx.Response(429, headers=headers))

    assert wait({"Retry-After": "3"}) == 3.0
    assert wait({"Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"}) == pytest.approx(20.0)
    assert wait({"x-ratelimit-reset": "5"}) == 5.0  # seconds
    assert wait({"x-ratelimit-reset": "1700000045"}) == 45.0  # Unix time
    assert wait({"x-ratelimit-reset": "1700000009000"}) == 9.0  # Unix time in ms
    assert wait({"x-minute-requests-left": "0", "x-hourly-requests-left": "10"}) == 60.0
    assert wait({"x-hourly-requests-left": "0"}) == 3600.0
    assert wait({"x-daily-requests-left": "0"}) == 86400.0
    assert wait({"x-minute-requests-left": "4"}) is None
    assert wait({}) is None


@respx.mock
def test_a_long_rate_limit_window_is_not_waited_out_in_process(slept: SleepRecorder) -> None:
    respx.get(URL).mock(return_value=httpx.Response(429, headers={"x-hourly-requests-left": "0"}))
    with pytest.raises(TransientError) as caught:
        get(client())
    assert caught.value.retry_after == 3600.0
    assert slept.waits == []


@respx.mock
def test_5xx_is_retried_with_backoff_then_transient(slept: SleepRecorder) -> None:
    route = respx.get(URL).mock(return_value=httpx.Response(503))
    with pytest.raises(TransientError, match="HTTP 503"):
        get(client(max_retries=2))
    assert route.call_count == 3
    assert len(slept.waits) == 2


@respx.mock
def test_5xx_then_success(slept: SleepRecorder) -> None:
    respx.get(URL).mock(side_effect=[httpx.Response(500), httpx.Response(200, json=[1])])
    assert get(client()).json() == [1]
    assert len(slept.waits) == 1


@respx.mock
def test_timeouts_and_connection_errors_are_transient(slept: SleepRecorder) -> None:
    route = respx.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="timed out"):
        get(client(max_retries=1))
    assert route.call_count == 2
    respx.get(URL).mock(side_effect=[httpx.ConnectError("refused"), httpx.Response(200)])
    assert get(client()).status_code == 200


@respx.mock
@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_name_no_secret(status: int, slept: SleepRecorder) -> None:
    respx.get(URL).mock(return_value=httpx.Response(status, text=f"bad key {SECRET}"))
    with pytest.raises(AuthFailedError) as caught:
        get(client(), headers={"x-api-key": SECRET}, params={"api_key": SECRET})
    message = str(caught.value)
    assert f"HTTP {status}" in message
    assert SECRET not in message
    assert slept.waits == []


@respx.mock
def test_other_4xx_is_permanent_with_a_redacted_snippet() -> None:
    respx.get(URL).mock(
        return_value=httpx.Response(422, text=f'{{"error": "bad param", "key": "{SECRET}"}}')
    )
    with pytest.raises(PermanentError) as caught:
        get(client(), params={"api_key": SECRET})
    assert not isinstance(caught.value, AuthFailedError)
    assert "bad param" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert "[redacted]" in str(caught.value)


@respx.mock
def test_accepted_statuses_are_returned() -> None:
    respx.get(URL).mock(return_value=httpx.Response(404, json={"status": 404}))
    assert get(client(), accept_statuses=(404,)).status_code == 404
