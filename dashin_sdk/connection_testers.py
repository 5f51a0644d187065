"""Where ``dx.data_sources.test(id)`` finds the code that tests a data source's connection.

The SDK does not import the connectors (``functions_py`` builds on the SDK, not the other way
round). Packages register a tester per data-source type under the entry-point group
``dashin.connection_testers``; an object with ``test_connection(config, credentials)``
returning ``(success, message)``. It is called from a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Protocol

from dashin_sdk.errors import ConfigurationError

GROUP = "dashin.connection_testers"


class ConnectionTester(Protocol):
    def test_connection(
        self, config: Mapping[str, Any], credentials: Mapping[str, Any] | None
    ) -> tuple[bool, str]: ...


_registered: dict[str, ConnectionTester] = {}


def register(source_type: str, tester: ConnectionTester) -> None:
    """Register (or replace) the tester for ``source_type`` in this process."""
    _registered[source_type] = tester


def tester_for(source_type: str) -> ConnectionTester:
    if source_type in _registered:
        return _registered[source_type]
    for entry in entry_points(group=GROUP, name=source_type):
        tester: ConnectionTester = entry.load()()
        _registered[source_type] = tester
        return tester
    raise ConfigurationError(
        f"no connection tester for data sources of type {source_type!r} in this process: "
        f"install the connectors (functions_py) or register one under {GROUP!r}"
    )
