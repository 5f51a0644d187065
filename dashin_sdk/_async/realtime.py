"""A minimal Supabase Realtime client: one ``postgres_changes`` channel as ``Change`` signals.

Supabase Realtime speaks Phoenix channels (JSON serializer, protocol ``vsn=1.0.0``) over a
websocket: join a topic with a ``postgres_changes`` binding, heartbeat every 25 s on the
``phoenix`` topic, receive ``postgres_changes`` messages carrying the changed row.

Why not realtime-py: it is async only, while the sync client is generated from this module,
and its reconnect rejoins channels without telling the subscriber, so an update sent while the
socket was down is silently lost. Here every (re)join yields :class:`Resync`, and the resource
re-reads the row: a job's terminal state is never missed.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from dashin_sdk import backoff, errors
from dashin_sdk._async import _io
from dashin_sdk._async.backend import Change, Resync, Signal
from dashin_sdk.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
    ServerError,
    api_error,
)
from dashin_sdk.settings import ClientOptions

PROTOCOL_VERSION = "1.0.0"
HEARTBEAT_INTERVAL = 25.0  # seconds, as realtime-js; the server drops a socket silent for 60 s

# What a lost connection looks like while connecting or talking (all reconnect).
_DROPPED = (ConnectionClosed, InvalidHandshake, OSError, TimeoutError)
# ``access_token()`` failing for want of a network (refreshing a session needs Auth): also
# something to wait out, unlike an AuthenticationError, which ends the subscription.
_UNREACHABLE = (errors.ConnectionError, errors.TimeoutError)


class _ChannelLostError(Exception):
    """The channel is unusable (closed, errored, heartbeat unanswered): connect again."""


def websocket_url(supabase_url: str, apikey: str) -> str:
    """``https://x.supabase.co`` -> ``wss://x.supabase.co/realtime/v1/websocket?apikey=..``."""
    parts = urlsplit(supabase_url)
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise ConfigurationError(f"supabase_url must be an http(s) URL, got {supabase_url!r}")
    query = urlencode({"apikey": apikey, "vsn": PROTOCOL_VERSION})
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}/realtime/v1/websocket?{query}"


def join_error(response: Any) -> APIError:
    """The typed error for a refused ``phx_join`` (Realtime says why in ``reason``)."""
    reason = str(response.get("reason") if isinstance(response, dict) else response)
    lowered = reason.lower()
    if any(word in lowered for word in ("permission", "unauthorized", "forbidden")):
        return PermissionDeniedError(f"realtime: {reason}", code="realtime")
    if any(word in lowered for word in ("jwt", "token", "expired", "auth")):
        return AuthenticationError(f"realtime: {reason}", code="realtime")
    return ServerError(f"realtime: {reason}", code="realtime")


class _Channel:
    """One joined topic on one socket, with the Phoenix ref bookkeeping."""

    def __init__(self, ws: Any, topic: str, binding: dict[str, Any]) -> None:
        self.ws = ws
        self.topic = topic
        self.binding = binding
        self.token = ""
        self.join_ref = ""
        self.pending_heartbeat: str | None = None
        self._ref = 0

    def _next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def _send(self, topic: str, event: str, payload: dict[str, Any]) -> str:
        ref = self._next_ref()
        message = {"topic": topic, "event": event, "payload": payload, "ref": ref}
        if topic == self.topic:
            message["join_ref"] = self.join_ref or ref
        await _io.send(self.ws, json.dumps(message))
        return ref

    async def join(self, token: str, timeout: float) -> None:
        """Send ``phx_join`` and wait for its reply; a refusal raises the typed error."""
        self.token = token
        self.join_ref = ""
        config = {
            "broadcast": {"ack": False, "self": False},
            "presence": {"key": ""},
            "postgres_changes": [self.binding],
            "private": False,
        }
        self.join_ref = await self._send(
            self.topic, "phx_join", {"config": config, "access_token": token}
        )
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            message = _parse(await _io.receive(self.ws, left))
            if message is None or message.get("event") != "phx_reply":
                continue  # presence_state, system notices: nothing to act on yet
            if message.get("ref") != self.join_ref:
                continue
            payload = message.get("payload") or {}
            if payload.get("status") == "ok":
                return
            raise join_error(payload.get("response"))
        raise _ChannelLostError("no reply to phx_join")

    async def heartbeat(self) -> None:
        if self.pending_heartbeat is not None:
            raise _ChannelLostError("heartbeat unanswered")
        self.pending_heartbeat = await self._send("phoenix", "heartbeat", {})

    async def refresh_token(self, token: str) -> None:
        """Hand a refreshed JWT to the channel, so Realtime keeps applying RLS as this user."""
        if token != self.token:
            self.token = token
            await self._send(self.topic, "access_token", {"access_token": token})

    def handle(self, message: dict[str, Any]) -> Change | None:
        """The signal a server message carries, if any; raises ``_ChannelLostError`` on errors."""
        event = message.get("event")
        payload = message.get("payload") or {}
        if message.get("topic") == "phoenix":
            if event == "phx_reply" and message.get("ref") == self.pending_heartbeat:
                self.pending_heartbeat = None
            return None
        if message.get("topic") != self.topic:
            return None
        if event in ("phx_close", "phx_error"):
            raise _ChannelLostError(event)
        if event == "system" and payload.get("status") == "error":
            # e.g. "Token has expired" or a failed postgres_changes subscription.
            raise _ChannelLostError(str(payload.get("message")))
        if event == "postgres_changes":
            return _change(payload.get("data") or {}, self.binding["table"])
        return None


def _parse(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _change(data: dict[str, Any], table: str) -> Change | None:
    if data.get("table") != table:
        return None
    if data.get("type") == "DELETE":
        old = data.get("old_record") or {}
        return Change(row_id=_uuid(old.get("id")), record=None)
    record = data.get("record")
    if not isinstance(record, dict):
        return None
    return Change(row_id=_uuid(record.get("id")), record=record)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _handshake_error(exc: InvalidStatus) -> APIError | None:
    """A refused websocket upgrade that retrying cannot fix (a bad or revoked key)."""
    status = exc.response.status_code
    if status in (401, 403):
        return api_error(f"realtime refused the connection: HTTP {status}", status=status)
    return None


async def realtime_changes(
    *,
    url: str,
    apikey: str,
    access_token: Callable[[], Awaitable[str]],
    table: str,
    filter: str | None,
    options: ClientOptions,
    heartbeat_interval: float = HEARTBEAT_INTERVAL,
) -> AsyncGenerator[Signal, None]:
    """Subscribe to ``table`` (rows matching ``filter``, e.g. ``id=eq.<uuid>``) forever.

    Yields :class:`Resync` after every successful (re)join and after
    ``options.realtime_poll_interval`` seconds without a change, and :class:`Change` (with
    the full new row; ``record=None`` for a DELETE) for each change Realtime forwards. A lost
    socket, a channel error or an unanswered heartbeat reconnects with jittered backoff until
    the consumer closes the generator. A refused join raises the typed error
    (:class:`AuthenticationError`, :class:`PermissionDeniedError`, ...). ``access_token()``
    is asked on every join and heartbeat; a new token is handed to the open channel.
    """
    socket_url = websocket_url(url, apikey)
    topic = f"realtime:dashin-{table}-{secrets.token_hex(6)}"
    binding: dict[str, Any] = {"event": "*", "schema": "public", "table": table}
    if filter is not None:
        binding["filter"] = filter
    attempt = 0
    while True:
        try:
            ws = await _io.connect_websocket(socket_url, timeout=options.timeout)
        except _DROPPED as exc:
            if isinstance(exc, InvalidStatus) and (error := _handshake_error(exc)) is not None:
                raise error from None
            attempt += 1
            await _io.sleep(backoff.delay(attempt))
            continue
        try:
            channel = _Channel(ws, topic, binding)
            await channel.join(await access_token(), options.timeout)
            attempt = 0
            yield Resync()
            next_heartbeat = time.monotonic() + heartbeat_interval
            last_signal = time.monotonic()
            while True:
                now = time.monotonic()
                if now >= next_heartbeat:
                    await channel.refresh_token(await access_token())
                    await channel.heartbeat()
                    next_heartbeat = now + heartbeat_interval
                quiet_until = last_signal + options.realtime_poll_interval
                if now >= quiet_until:
                    last_signal = now
                    yield Resync()  # quiet for a poll interval: re-read in case
                    continue
                message = _parse(await _io.receive(ws, min(next_heartbeat, quiet_until) - now))
                change = None if message is None else channel.handle(message)
                if change is not None:
                    last_signal = time.monotonic()
                    yield change
        except (_ChannelLostError, *_DROPPED, *_UNREACHABLE):
            pass
        finally:
            await _io.close(ws)
        # Even after a healthy session, wait a little: a server that accepts and then drops
        # every connection must not turn this into a busy loop of rejoins and re-reads.
        attempt += 1
        await _io.sleep(backoff.delay(attempt))
