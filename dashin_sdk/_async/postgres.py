"""The direct backend: psycopg 3 with a connection pool, every call as an API identity.

Each call is one transaction that first runs what PostgREST runs for a request::

    select set_config('role', <role>, true), set_config('request.jwt.claims', <claims>, true)

so RLS, column grants and ``auth.uid()`` apply exactly as over HTTP (the same statement also
sets ``statement_timeout`` to ``ClientOptions.timeout``). The statements of a call are
pipelined: identity, query and count travel in one round trip.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import aclosing
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import DictRow, dict_row, tuple_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from dashin_sdk import backoff, sql_compiler
from dashin_sdk._async import _io
from dashin_sdk._async.backend import Change, Resync, Signal, WatchedTable
from dashin_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionError,
    DashinError,
    TimeoutError,
    api_error,
)
from dashin_sdk.identity import Caller, Identity
from dashin_sdk.query import Mutation, Rows, Rpc, Select, eq
from dashin_sdk.settings import ClientOptions

T = TypeVar("T")

# The identity, plus the client's timeout as this transaction's statement_timeout (in the same
# statement: no extra round trip), so a call never runs longer than ``ClientOptions.timeout``.
SET_IDENTITY = sql.SQL(
    "select set_config('role', %s, true), set_config('request.jwt.claims', %s, true),"
    " set_config('statement_timeout', %s, true)"
)
_CALLER = sql.SQL("select agency_id, role::text as role from public.user_profiles where id = %s")
_SIGN_IN = sql.SQL(
    "select id from auth.users where lower(email) = lower(%s)"
    " and encrypted_password = extensions.crypt(%s, encrypted_password)"
    " and deleted_at is null and (banned_until is null or banned_until < now())"
)
_CHANNELS: dict[str, str] = {
    "scraping_jobs": "job_status_change",
    "notifications": "new_notification",
}


def translate_error(exc: Exception) -> DashinError:
    """The SDK error for a psycopg / pool failure."""
    if isinstance(exc, PoolTimeout):
        return TimeoutError(f"no database connection available: {exc}")
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return TimeoutError(f"statement timed out: {exc.diag.message_primary or exc}")
    if isinstance(exc, psycopg.Error):
        sqlstate = exc.sqlstate
        if sqlstate is None or sqlstate.startswith("08"):
            return ConnectionError(f"database connection failed: {exc}")
        diag = exc.diag
        return api_error(
            diag.message_primary or str(exc),
            code=sqlstate,
            hint=diag.message_hint,
            details=diag.message_detail,
        )
    return DashinError(str(exc))


def _retryable(error: DashinError, *, read_only: bool, sent: bool) -> bool:
    if isinstance(error, TimeoutError) and not sent:
        return True  # waited for a pooled connection; nothing reached the server
    return read_only and isinstance(error, ConnectionError)


Pool = AsyncConnectionPool[psycopg.AsyncConnection[DictRow]]


def _new_pool(database_url: str, options: ClientOptions) -> Pool:
    return AsyncConnectionPool(
        database_url,
        min_size=options.pool_min_size,
        max_size=options.pool_max_size,
        timeout=options.timeout,
        open=False,
        kwargs={
            "autocommit": False,
            "row_factory": dict_row,
            "connect_timeout": max(1, int(options.timeout)),
        },
        name="dashin",
        connection_class=psycopg.AsyncConnection[DictRow],
    )


class AsyncPostgresBackend:
    def __init__(
        self,
        database_url: str,
        options: ClientOptions,
        identity: Identity | None = None,
        *,
        parent: AsyncPostgresBackend | None = None,
    ) -> None:
        self._url = database_url
        self._options = options
        self.identity = identity or Identity.service()
        # Identities derived with with_identity() share the pool of the backend that made it.
        self._root: AsyncPostgresBackend = self if parent is None else parent._root
        self._pool: Pool = _new_pool(database_url, options) if parent is None else parent._pool
        self._opened = False
        self._caller: Caller | None = None
        self._statement_timeout = f"{max(1, round(options.timeout * 1000))}ms"

    def with_identity(self, identity: Identity) -> AsyncPostgresBackend:
        """A backend acting as ``identity`` over the same pool (the pool stays ours)."""
        return AsyncPostgresBackend(self._url, self._options, identity, parent=self)

    async def close(self) -> None:
        """Close the pool; only the client that created it may (derived ones share it)."""
        root = self._root
        if root is self and root._opened:
            await root._pool.close()
            root._opened = False

    async def _open(self) -> None:
        root = self._root
        if not root._opened:
            root._opened = True
            await root._pool.open()

    async def _call(
        self, work: Callable[[psycopg.AsyncConnection[DictRow]], Awaitable[T]], *, read_only: bool
    ) -> T:
        """Run ``work`` in one transaction as the identity, retrying only what is safe."""
        await self._open()
        attempt = 0
        while True:
            sent = False
            try:
                async with self._pool.connection() as conn:
                    sent = True
                    async with conn.pipeline():
                        await conn.execute(
                            SET_IDENTITY,
                            (
                                self.identity.role,
                                json.dumps(self.identity.claims),
                                self._statement_timeout,
                            ),
                        )
                        return await work(conn)
            except (psycopg.Error, PoolTimeout) as exc:
                error = translate_error(exc)
                attempt += 1
                if attempt > self._options.max_retries or not _retryable(
                    error, read_only=read_only, sent=sent
                ):
                    raise error from exc
                await _io.sleep(backoff.delay(attempt))

    async def select(self, query: Select) -> Rows:
        statement, params = sql_compiler.select(query)
        # Compiled once, not per retry.
        counting = sql_compiler.count(query) if query.count else None

        async def work(conn: psycopg.AsyncConnection[DictRow]) -> Rows:
            cursor = await conn.execute(statement, params)
            count_cursor = None
            if counting is not None:
                count_cursor = await conn.execute(*counting)
            rows: list[dict[str, Any]] = await cursor.fetchall()
            total = None
            if count_cursor is not None:
                counted = await count_cursor.fetchone()
                total = int(counted["count"]) if counted else 0
            return Rows(rows, total)

        return await self._call(work, read_only=True)

    async def mutate(self, query: Mutation) -> list[dict[str, Any]]:
        statement, params = sql_compiler.mutation(query)

        async def work(conn: psycopg.AsyncConnection[DictRow]) -> list[dict[str, Any]]:
            cursor = await conn.execute(statement, params)
            # In pipeline mode ``cursor.description`` stays None until a fetch syncs the
            # pipeline, so whether rows come back is decided by the query, not the cursor.
            # Errors of a statement without RETURNING surface when the pipeline block ends.
            if not query.returning:
                return []
            rows: list[dict[str, Any]] = await cursor.fetchall()
            return rows

        return await self._call(work, read_only=False)

    async def rpc(self, query: Rpc) -> Any:
        statement, params = sql_compiler.rpc(query)

        async def work(conn: psycopg.AsyncConnection[DictRow]) -> Any:
            cursor = conn.cursor(row_factory=tuple_row)
            await cursor.execute(statement, params)
            rows = await cursor.fetchall()
            if query.shape == "rows":
                return [row[0] for row in rows]
            return rows[0][0] if rows else None

        return await self._call(work, read_only=query.read_only)

    trusted = True

    async def read_credentials(self, data_source_id: UUID) -> dict[str, Any] | None:
        # Holding the database URL makes this process trusted: read as the service role.
        service = (
            self if self.identity.role == "service_role" else self.with_identity(Identity.service())
        )
        query = Select("data_sources", ("credentials",), (eq("id", data_source_id),), limit=1)
        rows = (await service.select(query)).rows
        envelope: dict[str, Any] | None = rows[0]["credentials"] if rows else None
        return envelope

    async def call_api(self, method: str, path: str, body: Any = None) -> Any:
        raise ConfigurationError(
            f"{method} {path}: the direct backend runs everything in-process; no API call needed"
        )

    async def sign_in(self, email: str, password: str) -> None:
        """Check the password against ``auth.users`` (as GoTrue would) and act as that user."""
        await self._open()
        async with self._pool.connection() as conn:
            cursor = await conn.execute(_SIGN_IN, (email, password))
            found = await cursor.fetchone()
        if found is None:
            raise AuthenticationError("invalid login credentials", code="invalid_credentials")
        self.identity = Identity.user(found["id"])
        self._caller = None

    async def sign_out(self) -> None:
        self.identity = Identity.service()
        self._caller = None

    async def caller(self) -> Caller:
        if self._caller is None:
            user_id = self.identity.user_id
            if user_id is None:
                self._caller = Caller(user_id=None, agency_id=None, role=None)
            else:
                await self._open()
                async with self._pool.connection() as conn:
                    cursor = await conn.execute(_CALLER, (user_id,))
                    found = await cursor.fetchone()
                self._caller = Caller(
                    user_id=user_id,
                    agency_id=found["agency_id"] if found else None,
                    role=found["role"] if found else "client",
                )
        return self._caller

    async def changes(
        self, table: WatchedTable, *, row_id: UUID | None = None
    ) -> AsyncGenerator[Signal, None]:
        """LISTEN on the table's ``pg_notify`` channel; reconnect and resync on failure."""
        channel = _CHANNELS[table]
        own_user = str(self.identity.user_id) if self.identity.user_id else None
        attempt = 0
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, connect_timeout=max(1, int(self._options.timeout))
                )
            except psycopg.OperationalError:
                attempt += 1
                await _io.sleep(backoff.delay(attempt))
                continue
            try:
                await conn.execute(sql.SQL("listen {}").format(sql.Identifier(channel)))
                attempt = 0
                yield Resync()
                while True:
                    notifies = conn.notifies(timeout=self._options.realtime_poll_interval)
                    async with aclosing(notifies):
                        async for notify in notifies:
                            payload = json.loads(notify.payload)
                            if row_id is not None and payload.get("id") != str(row_id):
                                continue
                            if own_user is not None and payload.get("user_id") not in (
                                None,
                                own_user,
                            ):
                                continue
                            yield Change(row_id=UUID(payload["id"]))
                    yield Resync()  # quiet for a poll interval: re-read in case
            except psycopg.OperationalError:
                attempt += 1
                await _io.sleep(backoff.delay(attempt))
            finally:
                await conn.close()
