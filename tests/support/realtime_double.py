"""A local stand-in for Supabase Realtime: a websocket server speaking Phoenix channels.

It answers as Realtime does (JSON serializer, ``vsn=1.0.0``): ``phx_join`` on a
``realtime:<name>`` topic gets a ``phx_reply`` listing the accepted ``postgres_changes``
bindings, then a ``system`` "Subscribed to PostgreSQL" notice; ``heartbeat`` on the
``phoenix`` topic gets an empty ok reply; ``access_token`` is taken silently. Tests push
``postgres_changes`` events, which reach every joined channel whose binding (table, event,
``column=eq.value`` / ``column=in.(a,b)`` filter) matches, as Realtime's WAL fan-out would.

The server runs on its own event loop in a background thread, so sync and async clients alike
connect to it. Everything it saw is recorded for assertions.

    with RealtimeDouble() as realtime:
        ... realtime.http_url ...          # what a client passes as supabase_url
        realtime.wait_for_joins(1)
        realtime.push("scraping_jobs", "UPDATE", record)
        realtime.drop_connections()        # every client must reconnect and rejoin
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

T = TypeVar("T")

WAIT = 10.0  # seconds a test waits for the client to do something before failing


@dataclass(frozen=True)
class Join:
    """One ``phx_join`` as received."""

    topic: str
    config: dict[str, Any]
    access_token: str | None
    query: dict[str, str]  # the websocket URL's query string (apikey, vsn)

    @property
    def bindings(self) -> list[dict[str, Any]]:
        bindings: list[dict[str, Any]] = self.config.get("postgres_changes") or []
        return bindings


@dataclass
class _Subscription:
    connection: ServerConnection
    topic: str
    join_ref: str | None
    bindings: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class RealtimeDouble:
    """The double; use as a context manager (it starts and stops its server thread)."""

    def __init__(self) -> None:
        self.joins: list[Join] = []
        self.access_tokens: list[tuple[str, str]] = []  # (topic, token) of access_token pushes
        self.heartbeats = 0
        self.connections_opened = 0
        self.answer_heartbeats = True
        self._rejection: str | None = None
        self._subscriptions: list[_Subscription] = []
        self._connections: set[ServerConnection] = set()
        self._binding_ids = itertools.count(1000)
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Server | None = None
        self.port = 0

    # lifecycle -----------------------------------------------------------------------------

    def __enter__(self) -> RealtimeDouble:
        self._thread.start()
        self._server = self._call(self._start())
        self.port = next(iter(self._server.sockets)).getsockname()[1]
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)
        self._loop.close()

    @property
    def http_url(self) -> str:
        """The "Supabase URL" a client is given; Realtime lives under ``/realtime/v1``."""
        return f"http://127.0.0.1:{self.port}"

    # test controls -------------------------------------------------------------------------

    def reject_joins(self, reason: str | None) -> None:
        """Answer later joins with ``{"status": "error", "response": {"reason": reason}}``."""
        self._rejection = reason

    def push(
        self,
        table: str,
        change: str,
        record: dict[str, Any] | None,
        old_record: dict[str, Any] | None = None,
    ) -> int:
        """Send a ``postgres_changes`` event to the matching channels; how many got it."""
        return self._call(self._push(table, change, record, old_record))

    def drop_connections(self) -> None:
        """Cut every client socket, as a network failure or a Realtime crash does."""
        self._call(self._drop())

    def error_channels(self) -> None:
        """Send ``phx_error`` on every joined channel (the channel process crashed)."""
        self._call(self._error_channels())

    def wait_for_joins(self, count: int) -> list[Join]:
        """Block until at least ``count`` joins were accepted or refused; all joins so far."""
        self._wait_until(lambda: len(self.joins) >= count, f"{count} joins")
        return list(self.joins)

    def wait_for_heartbeats(self, count: int) -> None:
        self._wait_until(lambda: self.heartbeats >= count, f"{count} heartbeats")

    def wait_for_access_tokens(self, count: int) -> list[tuple[str, str]]:
        self._wait_until(lambda: len(self.access_tokens) >= count, f"{count} access tokens")
        return list(self.access_tokens)

    def wait_for_open_connections(self, count: int) -> None:
        """Block until exactly ``count`` client sockets are open."""
        self._wait_until(lambda: len(self._connections) == count, f"{count} open connections")

    def wait_for_subscribers(self, count: int) -> None:
        """Block until ``count`` channels are joined (after a drop: rejoined)."""
        self._wait_until(lambda: len(self._subscriptions) >= count, f"{count} subscribers")

    # server side ---------------------------------------------------------------------------

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT)

    def _wait_until(self, condition: Callable[[], bool], what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, WAIT):
                raise AssertionError(f"realtime double: timed out waiting for {what}")

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    async def _start(self) -> Server:
        return await serve(self._serve, "127.0.0.1", 0)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, connection: ServerConnection) -> None:
        request = connection.request
        path = urlsplit(request.path if request is not None else "")
        if path.path != "/realtime/v1/websocket":
            await connection.close(1008, "unknown path")
            return
        query = {key: values[0] for key, values in parse_qs(path.query).items()}
        self._connections.add(connection)
        self.connections_opened += 1
        self._notify()
        try:
            async for text in connection:
                await self._on_message(connection, query, json.loads(text))
        except ConnectionClosed:
            pass
        finally:
            self._connections.discard(connection)
            self._subscriptions = [s for s in self._subscriptions if s.connection is not connection]
            self._notify()

    async def _on_message(
        self, connection: ServerConnection, query: dict[str, str], message: dict[str, Any]
    ) -> None:
        topic, event, ref = message["topic"], message["event"], message.get("ref")
        payload = message.get("payload") or {}
        if topic == "phoenix" and event == "heartbeat":
            self.heartbeats += 1
            self._notify()
            if self.answer_heartbeats:
                await self._reply(connection, topic, ref, None, "ok", {})
        elif event == "phx_join":
            await self._join(connection, query, message, payload)
        elif event == "access_token":
            self.access_tokens.append((topic, str(payload.get("access_token"))))
            self._notify()
        elif event == "phx_leave":
            self._subscriptions = [
                s
                for s in self._subscriptions
                if not (s.connection is connection and s.topic == topic)
            ]
            await self._reply(connection, topic, ref, message.get("join_ref"), "ok", {})

    async def _join(
        self,
        connection: ServerConnection,
        query: dict[str, str],
        message: dict[str, Any],
        payload: dict[str, Any],
    ) -> None:
        topic, ref, join_ref = message["topic"], message.get("ref"), message.get("join_ref")
        config = payload.get("config") or {}
        join = Join(topic, config, payload.get("access_token"), query)
        # Recorded (and subscribed) before the reply: once the client knows it joined, a
        # test may assert on the join or push at once.
        self.joins.append(join)
        self._notify()
        if self._rejection is not None:
            await self._reply(
                connection, topic, ref, join_ref, "error", {"reason": self._rejection}
            )
            return
        subscription = _Subscription(connection, topic, join_ref)
        for binding in join.bindings:
            subscription.bindings.append((next(self._binding_ids), binding))
        self._subscriptions.append(subscription)
        self._notify()
        accepted = [{"id": i, **binding} for i, binding in subscription.bindings]
        await self._reply(connection, topic, ref, join_ref, "ok", {"postgres_changes": accepted})
        await _send(connection, topic, "presence_state", {}, None)
        notice = {
            "channel": topic.removeprefix("realtime:"),
            "extension": "postgres_changes",
            "message": "Subscribed to PostgreSQL",
            "status": "ok",
        }
        await _send(connection, topic, "system", notice, None)

    async def _reply(
        self,
        connection: ServerConnection,
        topic: str,
        ref: str | None,
        join_ref: str | None,
        status: str,
        response: dict[str, Any],
    ) -> None:
        await _send(
            connection,
            topic,
            "phx_reply",
            {"status": status, "response": response},
            ref,
            join_ref,
        )

    async def _push(
        self,
        table: str,
        change: str,
        record: dict[str, Any] | None,
        old_record: dict[str, Any] | None,
    ) -> int:
        delivered = 0
        row = record if record is not None else old_record or {}
        data = {
            "schema": "public",
            "table": table,
            "commit_timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            "type": change,
            "columns": [{"name": name, "type": "text"} for name in row],
            "errors": None,
            "record": record if record is not None else {},
            "old_record": old_record or {},
        }
        for subscription in list(self._subscriptions):
            ids = [i for i, b in subscription.bindings if _matches(b, table, change, row)]
            if not ids:
                continue
            payload = {"data": data, "ids": ids}
            try:
                await _send(
                    subscription.connection, subscription.topic, "postgres_changes", payload, None
                )
            except ConnectionClosed:
                continue
            delivered += 1
        return delivered

    async def _drop(self) -> None:
        connections = list(self._connections)
        self._subscriptions = []
        for connection in connections:
            # A cut, not a closing handshake: the client may not be reading right now.
            connection.transport.abort()

    async def _error_channels(self) -> None:
        subscriptions, self._subscriptions = self._subscriptions, []
        for s in subscriptions:
            await _send(s.connection, s.topic, "phx_error", {}, s.join_ref, s.join_ref)
        self._notify()


async def _send(
    connection: ServerConnection,
    topic: str,
    event: str,
    payload: dict[str, Any],
    ref: str | None,
    join_ref: str | None = None,
) -> None:
    message = {"event": event, "payload": payload, "ref": ref, "topic": topic}
    if join_ref is not None:
        message["join_ref"] = join_ref
    await connection.send(json.dumps(message))


def _matches(binding: dict[str, Any], table: str, change: str, row: dict[str, Any]) -> bool:
    """Realtime's binding match: schema, table, event and one ``column=op.value`` filter."""
    if binding.get("schema", "public") != "public" or binding.get("table") not in (None, table):
        return False
    if binding.get("event", "*") not in ("*", change):
        return False
    filter_: str = binding.get("filter") or ""
    if not filter_:
        return True
    column, _, condition = filter_.partition("=")
    operator, _, operand = condition.partition(".")
    value = row.get(column)
    actual = None if value is None else str(value)
    if operator == "eq":
        return actual == operand
    if operator == "neq":
        return actual != operand
    if operator == "in":
        return actual in operand.strip("()").split(",")
    raise AssertionError(f"realtime double: filter operator {operator!r} not supported")
