"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.factories import Conn, connect


@pytest.fixture
def conn(fresh_db_url: str) -> Iterator[Conn]:
    """An autocommit superuser connection to a database of this test's own."""
    with connect(fresh_db_url) as c:
        yield c
