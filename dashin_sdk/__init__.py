"""Dashin SDK: a typed client for the Dashin lead-generation backend.

    from dashin_sdk import Dashin, AsyncDashin

    dx = Dashin.from_env()  # or database_url=..., or supabase_url=... and supabase_key=...
    page = dx.leads.list(status="new", page_size=50)

Names are imported lazily (PEP 562): ``import dashin_sdk`` costs almost nothing, pydantic and
psycopg load with the first client, and supabase-py only with the first HTTP client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from dashin_sdk._async.client import AsyncDashin
    from dashin_sdk._async.page import AsyncPage
    from dashin_sdk._sync.client import Dashin
    from dashin_sdk._sync.page import Page
    from dashin_sdk.errors import (
        APIError,
        AuthenticationError,
        ConfigurationError,
        ConflictError,
        ConnectionError,
        DashinError,
        InvalidStateError,
        NotFoundError,
        PermissionDeniedError,
        RateLimitError,
        ServerError,
        TimeoutError,
        ValidationError,
    )
    from dashin_sdk.settings import ClientOptions

_EXPORTS = {
    "Dashin": "dashin_sdk._sync.client",
    "AsyncDashin": "dashin_sdk._async.client",
    "Page": "dashin_sdk._sync.page",
    "AsyncPage": "dashin_sdk._async.page",
    "ClientOptions": "dashin_sdk.settings",
    **{
        name: "dashin_sdk.errors"
        for name in (
            "APIError",
            "AuthenticationError",
            "ConfigurationError",
            "ConflictError",
            "ConnectionError",
            "DashinError",
            "InvalidStateError",
            "NotFoundError",
            "PermissionDeniedError",
            "RateLimitError",
            "ServerError",
            "TimeoutError",
            "ValidationError",
        )
    },
}

__all__ = [
    "APIError",
    "AsyncDashin",
    "AsyncPage",
    "AuthenticationError",
    "ClientOptions",
    "ConfigurationError",
    "ConflictError",
    "ConnectionError",
    "Dashin",
    "DashinError",
    "InvalidStateError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "TimeoutError",
    "ValidationError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dashin_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
