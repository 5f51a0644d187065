"""Client settings: where to connect, as whom, and how patiently.

``Dashin.from_env()`` reads, in order of preference:

- ``DASHIN_DATABASE_URL``: direct Postgres, acting as ``service_role`` (trusted processes);
- ``SUPABASE_URL`` with ``SUPABASE_SERVICE_ROLE_KEY`` (workers) or ``SUPABASE_ANON_KEY``
  (users, who then sign in).

``DASHIN_TIMEOUT`` (seconds, default 30) and ``DASHIN_MAX_RETRIES`` (default 2) tune every
client; ``DASHIN_CREDENTIALS_KEY`` is the data-source credentials key (see ``credentials``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from dashin_sdk.errors import ConfigurationError


@dataclass(frozen=True)
class ClientOptions:
    """How every call behaves."""

    timeout: float = 30.0  # seconds, per request / statement
    max_retries: int = 2  # extra attempts for safe reads and connection failures
    pool_min_size: int = 1
    pool_max_size: int = 10
    realtime_poll_interval: float = 15.0  # re-read a watched row this often even if silent

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ConfigurationError(f"timeout must be positive, got {self.timeout}")
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be >= 0, got {self.max_retries}")
        if not 0 <= self.pool_min_size <= self.pool_max_size:
            raise ConfigurationError("pool sizes must satisfy 0 <= pool_min_size <= pool_max_size")


@dataclass(frozen=True)
class ConnectionSettings:
    """Exactly one of ``database_url`` or (``supabase_url``, ``supabase_key``)."""

    database_url: str | None = None
    supabase_url: str | None = None
    supabase_key: str | None = None

    def __post_init__(self) -> None:
        if self.database_url and (self.supabase_url or self.supabase_key):
            raise ConfigurationError("give database_url or supabase_url/supabase_key, not both")
        if not self.database_url:
            if not self.supabase_url:
                raise ConfigurationError(
                    "no backend configured: pass database_url=..., or supabase_url= and "
                    "supabase_key=... (or set DASHIN_DATABASE_URL / SUPABASE_URL)"
                )
            if not self.supabase_key:
                raise ConfigurationError(
                    "supabase_key is required with supabase_url (the anon or service-role key)"
                )

    @property
    def is_direct(self) -> bool:
        return self.database_url is not None


def settings_from_env(
    environ: Mapping[str, str] | None = None,
) -> tuple[ConnectionSettings, ClientOptions]:
    env = os.environ if environ is None else environ
    options = ClientOptions(
        timeout=_float(env, "DASHIN_TIMEOUT", ClientOptions.timeout),
        max_retries=int(_float(env, "DASHIN_MAX_RETRIES", ClientOptions.max_retries)),
    )
    if env.get("DASHIN_DATABASE_URL"):
        return ConnectionSettings(database_url=env["DASHIN_DATABASE_URL"]), options
    url = env.get("SUPABASE_URL")
    key = env.get("SUPABASE_SERVICE_ROLE_KEY") or env.get("SUPABASE_ANON_KEY")
    if url and key:
        return ConnectionSettings(supabase_url=url, supabase_key=key), options
    raise ConfigurationError(
        "set DASHIN_DATABASE_URL, or SUPABASE_URL with SUPABASE_ANON_KEY or "
        "SUPABASE_SERVICE_ROLE_KEY"
    )


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from None
