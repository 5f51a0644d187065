"""Data source connectors: CSV files, configured REST APIs, Apollo, ZoomInfo, LinkedIn Lead
Sync and custom classes, behind one resumable ``fetch`` interface (see ``base``)."""

from functions_py.connectors.base import Batch, Connector, Rejected
from functions_py.connectors.errors import (
    AuthFailedError,
    ConnectorConfigError,
    ConnectorError,
    PermanentError,
    TransientError,
)
from functions_py.connectors.ratelimit import RateLimiter
from functions_py.connectors.registry import create_connector

__all__ = [
    "AuthFailedError",
    "Batch",
    "Connector",
    "ConnectorConfigError",
    "ConnectorError",
    "PermanentError",
    "RateLimiter",
    "Rejected",
    "TransientError",
    "create_connector",
]
