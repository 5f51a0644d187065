"""``dashin_sdk.backoff``: reading a server's ``Retry-After``."""

from __future__ import annotations

import pytest

from dashin_sdk.backoff import parse_retry_after

NOW = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        ("2.5", 2.5),
        ("-4", 0.0),  # never a negative wait
        ("Tue, 14 Nov 2023 22:13:40 GMT", 20.0),  # an HTTP date: 20 s after NOW
        ("Tue, 14 Nov 2023 22:13:00 GMT", 0.0),  # already past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_in_seconds_or_as_an_http_date(
    value: str | None, seconds: float | None
) -> None:
    assert parse_retry_after(value, now=NOW) == seconds
