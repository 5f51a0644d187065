"""Connectors by data source type, and the connection testers the SDK finds through the
``dashin.connection_testers`` entry points."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from functions_py.connectors.api import ApiConnector
from functions_py.connectors.apollo import ApolloConnector
from functions_py.connectors.base import Connector
from functions_py.connectors.csv_source import CsvConnector
from functions_py.connectors.custom import load_connector_class
from functions_py.connectors.errors import ConnectorConfigError, ConnectorError
from functions_py.connectors.linkedin import LinkedInConnector
from functions_py.connectors.ratelimit import RateLimiter
from functions_py.connectors.zoominfo import ZoomInfoConnector

CONNECTORS: dict[str, type[Connector]] = {
    cls.type: cls
    for cls in (CsvConnector, ApiConnector, ApolloConnector, ZoomInfoConnector, LinkedInConnector)
}
SOURCE_TYPES = (*CONNECTORS, "custom")


def connector_class(source_type: str, config: Mapping[str, Any]) -> type[Connector]:
    """The class for ``source_type`` (``custom``: the one ``config["class"]`` names)."""
    if source_type == "custom":
        return load_connector_class(config.get("class"))
    try:
        return CONNECTORS[source_type]
    except KeyError:
        raise ConnectorConfigError(
            "type", f"unknown data source type {source_type!r} ({', '.join(SOURCE_TYPES)})"
        ) from None


def create_connector(
    source_type: str,
    config: Mapping[str, Any] | None,
    credentials: Mapping[str, Any] | None,
    *,
    http: httpx.AsyncClient | None = None,
    limiter: RateLimiter | None = None,
) -> Connector:
    """A connector for a data source; ``ConnectorConfigError`` names a bad config field."""
    if config is not None and not isinstance(config, Mapping):
        raise ConnectorConfigError("config", "must be an object")
    config = config or {}
    return connector_class(source_type, config)(config, credentials, http=http, limiter=limiter)


class _Tester:
    """``test_connection(config, credentials)`` for one source type (SDK entry point)."""

    source_type: ClassVar[str]

    def test_connection(
        self, config: Mapping[str, Any] | None, credentials: Mapping[str, Any] | None
    ) -> tuple[bool, str]:
        try:
            connector = create_connector(self.source_type, config, credentials)
        except ConnectorError as exc:
            return False, str(exc)
        return connector.test_connection()


class CsvTester(_Tester):
    source_type = "csv"


class ApiTester(_Tester):
    source_type = "api"


class CustomTester(_Tester):
    source_type = "custom"


class ApolloTester(_Tester):
    source_type = "apollo"


class ZoomInfoTester(_Tester):
    source_type = "zoominfo"


class LinkedInTester(_Tester):
    source_type = "linkedin"
