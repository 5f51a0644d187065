"""Fixtures for the SDK's direct-backend tests: a service-role client per test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from dashin_sdk import Dashin
from dashin_sdk.credentials import new_key
from tests.support.factories import Conn, connect

# One key for the whole module: envelopes sealed in one test open in the next.
CREDENTIALS_KEY = new_key("test-k1")

AsUser = Callable[[str], Dashin]


@pytest.fixture
def dx(fresh_db_url: str) -> Iterator[Dashin]:
    """The service-role client on a database of this test's own."""
    client = Dashin(database_url=fresh_db_url, credentials_key=CREDENTIALS_KEY)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def shared_dx(db_url: str) -> Iterator[Dashin]:
    """A service-role client on the module's database, for tests that change nothing.

    Saves a database per test; a test that writes must use ``dx`` (its own database).
    """
    client = Dashin(database_url=db_url, credentials_key=CREDENTIALS_KEY)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def shared_conn(db_url: str) -> Iterator[Conn]:
    """The superuser connection on the module's database (``shared_dx``'s)."""
    with connect(db_url) as c:
        yield c


@pytest.fixture
def as_user(dx: Dashin) -> AsUser:
    """``as_user(user_id)``: a client acting as that seeded user (shares ``dx``'s pool)."""
    return dx.as_user
