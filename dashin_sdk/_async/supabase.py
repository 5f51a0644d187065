"""The HTTP backend: PostgREST for data, Supabase Auth for sessions, Realtime for changes.

Design:

- Data calls speak PostgREST directly over one ``httpx.AsyncClient`` per backend (the generated
  sync twin uses ``httpx.Client``). postgrest-py is not used: its ``APIError`` drops the HTTP
  status and headers, and typed errors need the status (401/403/404/409/429) and retries need
  ``Retry-After``. ``dashin_sdk.postgrest_compiler`` turns query objects into requests.
- Every request carries ``apikey: <key>`` and ``Authorization: Bearer <user access token, or the
  key when nobody is signed in>``, plus ``X-Client-Info: dashin-sdk/<version>``.
- Non-2xx responses become typed errors through ``errors.from_postgrest_body``; network failures
  ``ConnectionError``, httpx timeouts ``TimeoutError``.
- Retries (``backoff.delay``, at most ``options.max_retries``) only for what is safe to repeat:
  selects and ``read_only`` RPCs on 429/502/503/504 and broken connections, honouring
  ``Retry-After``. Mutations are retried only when the connection failed before anything was
  sent (connect errors), since then the server cannot have acted.
- Auth goes through ``supabase_auth`` (imported lazily: ``import dashin_sdk`` must not pay for
  it) with auto-refresh and persistence off: this backend owns its session. Before each request
  a token expiring within a minute is refreshed, and a 401 "JWT expired" refreshes once and
  repeats the request, so long-running workers keep working.
- One backend is one identity: its own httpx client, its own session. Two clients never share
  mutable auth state, so one signing in cannot switch the user of another.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing, suppress
from typing import TYPE_CHECKING, Any
from uuid import UUID

import httpx

from dashin_sdk import __version__, backoff, postgrest_compiler
from dashin_sdk._async import _io
from dashin_sdk._async.backend import Signal, WatchedTable
from dashin_sdk.auth_session import (
    REFRESH_MARGIN,
    AuthSession,
    from_auth_error,
    is_expired_jwt,
    key_identity,
    session_from_gotrue,
)
from dashin_sdk.errors import (
    ConfigurationError,
    ConnectionError,
    DashinError,
    PermissionDeniedError,
    TimeoutError,
    from_postgrest_body,
)
from dashin_sdk.identity import Caller, Identity
from dashin_sdk.postgrest_compiler import HttpRequest
from dashin_sdk.query import Mutation, Rows, Rpc, Select, eq
from dashin_sdk.settings import ClientOptions

if TYPE_CHECKING:
    from supabase_auth import AsyncGoTrueClient

API_URL_ENV = "DASHIN_API_URL"
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class AsyncSupabaseBackend:
    """:class:`~dashin_sdk._async.backend.AsyncBackend` over Supabase's HTTP APIs."""

    def __init__(self, url: str, key: str, options: ClientOptions) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"supabase_url must be an http(s) URL, got {url!r}")
        self._url = url.rstrip("/")
        self._key = key
        self._options = options
        self._key_identity, self.trusted = key_identity(key)
        self.identity: Identity = self._key_identity
        self._session: AuthSession | None = None
        self._caller: Caller | None = None
        self._auth: AsyncGoTrueClient | None = None
        self._http = httpx.AsyncClient(timeout=options.timeout)
        self._client_info = f"dashin-sdk/{__version__}"
        # Everything but Authorization is fixed for the backend's lifetime.
        self._fixed_headers = {
            "apikey": key,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-Client-Info": self._client_info,
        }
        self._api_url = (os.environ.get(API_URL_ENV) or f"{self._url}/functions/v1").rstrip("/")
        self._refresh_lock = _io.Lock()
        self.clock: Callable[[], float] = time.time  # unix seconds; tests move it forward

    # -- requests ---------------------------------------------------------------------------

    def _token(self) -> str:
        """The signed-in user's access token, else the key."""
        return self._session.access_token if self._session else self._key

    def _headers(self) -> dict[str, str]:
        return {**self._fixed_headers, "Authorization": f"Bearer {self._token()}"}

    async def _send(
        self, request: HttpRequest, *, retry_safe: bool, base_url: str | None = None
    ) -> httpx.Response:
        """Send ``request`` (to PostgREST unless ``base_url``): the 2xx response, or raise."""
        content = None if request.body is None else postgrest_compiler.to_json(request.body)
        attempt = 0
        refreshed = False
        while True:
            await self._refresh_if_expiring()
            used = self._session
            retry_after: float | None = None
            try:
                response = await self._http.request(
                    request.method,
                    (base_url or self._url) + request.path,
                    params=tuple(request.params),
                    headers={**self._headers(), **request.headers},
                    content=content,
                )
            except httpx.TimeoutException as exc:
                # A connect or pool timeout happened before anything was sent.
                unsent = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
                error: DashinError = TimeoutError(
                    f"{request.method} {request.path} timed out after {self._options.timeout}s"
                )
                retryable = unsent
            except httpx.TransportError as exc:
                error = ConnectionError(f"{request.method} {request.path} failed: {exc}")
                retryable = retry_safe or isinstance(exc, httpx.ConnectError)
            else:
                if response.is_success:
                    return response
                body = _json_body(response)
                if not refreshed and used and is_expired_jwt(response.status_code, body):
                    refreshed = True
                    await self._refresh(used)
                    continue
                retry_after = backoff.parse_retry_after(response.headers.get("Retry-After"))
                error = from_postgrest_body(response.status_code, body, retry_after=retry_after)
                retryable = retry_safe and response.status_code in RETRYABLE_STATUSES
            attempt += 1
            if not retryable or attempt > self._options.max_retries:
                raise error
            await _io.sleep(backoff.delay(attempt, retry_after=retry_after))

    # -- data -------------------------------------------------------------------------------

    async def select(self, query: Select) -> Rows:
        response = await self._send(postgrest_compiler.select(query), retry_safe=True)
        total = None
        if query.count:
            total = postgrest_compiler.total_from_content_range(
                response.headers.get("Content-Range")
            )
        rows: list[dict[str, Any]] = response.json()
        return Rows(rows, total)

    async def mutate(self, query: Mutation) -> list[dict[str, Any]]:
        request = postgrest_compiler.mutation(query)
        response = await self._send(request, retry_safe=False)
        if not query.returning or not response.content:
            return []
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def rpc(self, query: Rpc) -> Any:
        request = postgrest_compiler.rpc(query)
        response = await self._send(request, retry_safe=query.read_only)
        payload = response.json() if response.content else None
        return postgrest_compiler.rpc_result(query, payload)

    async def read_credentials(self, data_source_id: UUID) -> dict[str, Any] | None:
        """The sealed envelope; only a service-role key may read the column."""
        if not self.trusted:
            raise PermissionDeniedError(
                "reading data-source credentials needs a service-role key", code="42501"
            )
        query = Select("data_sources", ("credentials",), (eq("id", data_source_id),))
        rows = (await self.select(query)).rows
        envelope: dict[str, Any] | None = rows[0]["credentials"] if rows else None
        return envelope

    async def call_api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the Dashin REST API (``DASHIN_API_URL``, else the project's Edge Functions)."""
        method = method.upper()
        request = HttpRequest(method, "/" + path.lstrip("/"), body=body)
        response = await self._send(request, retry_safe=method == "GET", base_url=self._api_url)
        return response.json() if response.content else None

    async def caller(self) -> Caller:
        if self._caller is None:
            user_id = self.identity.user_id
            if user_id is None:
                self._caller = Caller(user_id=None, agency_id=None, role=None)
            else:
                query = Select("user_profiles", ("agency_id", "role"), (eq("id", user_id),))
                rows = (await self.select(query)).rows
                found = rows[0] if rows else None
                self._caller = Caller(
                    user_id=user_id,
                    agency_id=UUID(found["agency_id"]) if found and found["agency_id"] else None,
                    role=found["role"] if found else "client",
                )
        return self._caller

    # -- auth -------------------------------------------------------------------------------

    def _auth_client(self) -> AsyncGoTrueClient:
        if self._auth is None:
            from supabase_auth import AsyncGoTrueClient

            self._auth = AsyncGoTrueClient(
                url=f"{self._url}/auth/v1",
                headers={"apikey": self._key, "X-Client-Info": self._client_info},
                auto_refresh_token=False,
                persist_session=False,
                http_client=self._http,
            )
        return self._auth

    async def sign_in(self, email: str, password: str) -> None:
        from supabase_auth.errors import AuthError

        try:
            response = await self._auth_client().sign_in_with_password(
                {"email": email, "password": password}
            )
        except AuthError as exc:
            raise from_auth_error(exc) from exc
        if response.session is None:
            raise from_auth_error(AuthError("sign-in returned no session", None))
        self._start(session_from_gotrue(response.session))

    async def sign_out(self) -> None:
        """Revoke the session on the server if possible, and act as the key again."""
        session = self._session
        self._session = None
        self._caller = None
        self.identity = self._key_identity
        if session is not None:
            # Best effort: the token is forgotten here whether or not the server hears of it.
            with suppress(Exception):
                await self._auth_client().admin.sign_out(session.access_token, "local")
        self._auth = None  # it remembers the old session; the next sign-in gets a fresh one

    def _start(self, session: AuthSession) -> None:
        self._session = session
        self._caller = None
        self.identity = Identity.user(session.user_id)

    async def _refresh_if_expiring(self) -> None:
        session = self._session
        if session is not None and session.expires_within(REFRESH_MARGIN, self.clock()):
            await self._refresh(session)

    async def _refresh(self, stale: AuthSession) -> None:
        """Replace ``stale`` with a fresh session, once even if many calls find it stale."""
        from supabase_auth.errors import AuthError

        # Concurrent calls on one client would otherwise each spend the refresh token; GoTrue
        # rotates it, so all but the first would fail.
        async with self._refresh_lock:
            if self._session is not stale:
                return  # refreshed (or signed out) while this call waited
            try:
                response = await self._auth_client().refresh_session(stale.refresh_token)
            except AuthError as exc:
                raise from_auth_error(exc) from exc
            if response.session is not None:
                self._session = session_from_gotrue(response.session)

    async def _access_token(self) -> str:
        """A current access token (refreshed if needed), or the key; for Realtime."""
        await self._refresh_if_expiring()
        return self._token()

    # -- realtime ---------------------------------------------------------------------------

    async def changes(
        self, table: WatchedTable, *, row_id: UUID | None = None
    ) -> AsyncGenerator[Signal, None]:
        """Realtime postgres changes of one job row, or of the caller's notifications."""
        from dashin_sdk._async.realtime import realtime_changes

        if table == "scraping_jobs":
            row_filter = f"id=eq.{row_id}" if row_id is not None else None
        else:
            user_id = self.identity.user_id
            row_filter = f"user_id=eq.{user_id}" if user_id is not None else None
        signals = realtime_changes(
            url=self._url,
            apikey=self._key,
            access_token=self._access_token,
            table=table,
            filter=row_filter,
            options=self._options,
        )
        async with aclosing(signals):
            async for signal in signals:
                yield signal

    async def close(self) -> None:
        await self._http.aclose()


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
