"""``AsyncDashin``: the client. ``Dashin`` (sync) is generated from this file."""

from __future__ import annotations

from types import TracebackType
from typing import Any
from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.backend import AsyncBackend
from dashin_sdk._async.postgres import AsyncPostgresBackend
from dashin_sdk._async.resources.analytics import AsyncAnalytics
from dashin_sdk._async.resources.auth import AsyncAuth
from dashin_sdk._async.resources.campaigns import AsyncCampaigns
from dashin_sdk._async.resources.data_sources import AsyncDataSources
from dashin_sdk._async.resources.jobs import AsyncJobs
from dashin_sdk._async.resources.leads import AsyncLeads
from dashin_sdk._async.resources.notifications import AsyncNotifications
from dashin_sdk._async.resources.queue import AsyncQueue
from dashin_sdk.credentials import CredentialsKeyring
from dashin_sdk.errors import ConfigurationError
from dashin_sdk.identity import Identity
from dashin_sdk.settings import ClientOptions, ConnectionSettings, settings_from_env


class AsyncDashin:
    """The Dashin API as Python.

    ``AsyncDashin(database_url=...)`` talks to Postgres directly as ``service_role``
    (trusted processes, the local stack); ``AsyncDashin(supabase_url=..., supabase_key=...)``
    goes through PostgREST, Supabase Auth and Realtime. Both behave the same: every call runs
    as one identity and RLS decides what it may see and do.
    """

    def __init__(
        self,
        *,
        database_url: str | None = None,
        supabase_url: str | None = None,
        supabase_key: str | None = None,
        options: ClientOptions | None = None,
        credentials_key: str | None = None,
        backend: AsyncBackend | None = None,
    ) -> None:
        self.options = options or ClientOptions()
        self._credentials_key = credentials_key
        self._opened_keyring: CredentialsKeyring | None = None
        if backend is None:
            settings = ConnectionSettings(database_url, supabase_url, supabase_key)
            backend = _backend_for(settings, self.options)
        self._backend = backend
        self.auth = AsyncAuth(backend)
        self.campaigns = AsyncCampaigns(backend)
        self.leads = AsyncLeads(backend)
        self.data_sources = AsyncDataSources(backend, self._keyring)
        self.jobs = AsyncJobs(backend)
        self.analytics = AsyncAnalytics(backend)
        self.notifications = AsyncNotifications(backend)
        self.queue = AsyncQueue(backend, self._keyring)

    @classmethod
    def from_env(cls, **kwargs: Any) -> AsyncDashin:
        """From ``DASHIN_DATABASE_URL``, or ``SUPABASE_URL`` and a key (see ``settings``)."""
        settings, options = settings_from_env()
        kwargs.setdefault("options", options)
        return cls(
            database_url=settings.database_url,
            supabase_url=settings.supabase_url,
            supabase_key=settings.supabase_key,
            **kwargs,
        )

    @property
    def identity(self) -> Identity:
        return self._backend.identity

    def as_user(self, user_id: UUID | str) -> AsyncDashin:
        """A client acting as ``user_id`` with RLS applied (direct backend; shares the pool).

        Each identity gets its own client object, so nothing of one leaks into another.
        """
        if not isinstance(self._backend, AsyncPostgresBackend):
            raise ConfigurationError(
                "as_user() needs the direct backend (database_url); over HTTP, sign in instead"
            )
        backend = self._backend.with_identity(Identity.user(v.uuid_arg("user_id", user_id)))
        return AsyncDashin(
            options=self.options, credentials_key=self._credentials_key, backend=backend
        )

    def _keyring(self) -> CredentialsKeyring:
        """The credentials keyring, parsed on first use (a missing key only matters then)."""
        if self._opened_keyring is None:
            if self._credentials_key is not None:
                self._opened_keyring = CredentialsKeyring.parse(self._credentials_key)
            else:
                self._opened_keyring = CredentialsKeyring.from_env()
        return self._opened_keyring

    async def close(self) -> None:
        await self._backend.close()

    async def __aenter__(self) -> AsyncDashin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _backend_for(settings: ConnectionSettings, options: ClientOptions) -> AsyncBackend:
    if settings.database_url is not None:
        return AsyncPostgresBackend(settings.database_url, options)
    # Imported here so ``import dashin_sdk`` never pays for supabase-py's import.
    from dashin_sdk._async.supabase import AsyncSupabaseBackend

    assert settings.supabase_url is not None
    assert settings.supabase_key is not None
    return AsyncSupabaseBackend(settings.supabase_url, settings.supabase_key, options)
