"""The HTTP backend (PostgREST + Supabase Auth + Realtime). Being written."""

from __future__ import annotations

from typing import Any

from dashin_sdk.errors import ConfigurationError
from dashin_sdk.settings import ClientOptions


class AsyncSupabaseBackend:
    def __init__(self, url: str, key: str, options: ClientOptions) -> None:
        raise ConfigurationError("the HTTP backend is not available yet")

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(name)
