"""``realtime_changes`` against the local Realtime double, sync and async (see conftest)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from dashin_sdk._async.backend import Change, Resync
from dashin_sdk._async.realtime import join_error, websocket_url
from dashin_sdk.errors import (
    AuthenticationError,
    ConfigurationError,
    ConnectionError,
    PermissionDeniedError,
    ServerError,
    TimeoutError,
)
from tests.support.realtime_double import RealtimeDouble
from tests.unit.sdk_realtime.conftest import APIKEY, TABLE, OpenSignals, Tokens

JOB = "5a4e3f2c-1b0a-4c9d-8e7f-6a5b4c3d2e1f"
OTHER_JOB = "6b5f4a3d-2c1b-4d0e-9f8a-7b6c5d4e3f2a"
FILTER = f"id=eq.{JOB}"
# Heartbeat interval where the double must reply in time (a reply later than the next
# heartbeat means a dead socket): generous, so a loaded machine does not look dead.
ANSWERED_HEARTBEAT = 0.2


def job_row(job_id: str = JOB, status: str = "running", progress: int = 10) -> dict[str, object]:
    return {"id": job_id, "status": status, "progress": progress, "agency_id": "a"}


def test_websocket_url_from_the_supabase_url() -> None:
    assert websocket_url("https://abc.supabase.co", "k") == (
        "wss://abc.supabase.co/realtime/v1/websocket?apikey=k&vsn=1.0.0"
    )
    assert websocket_url("http://127.0.0.1:54321/", "a b") == (
        "ws://127.0.0.1:54321/realtime/v1/websocket?apikey=a+b&vsn=1.0.0"
    )
    with pytest.raises(ConfigurationError):
        websocket_url("postgresql://localhost/db", "k")


def test_join_reasons_map_to_typed_errors() -> None:
    assert type(join_error({"reason": "Invalid JWT Token"})) is AuthenticationError
    assert type(join_error({"reason": "Token has expired 3 seconds ago"})) is AuthenticationError
    denied = join_error({"reason": "You do not have permissions to read from this Channel topic"})
    assert type(denied) is PermissionDeniedError
    assert type(join_error({"reason": "Realtime was unable to connect"})) is ServerError


def test_joins_the_table_channel_like_supabase_js(
    open_signals: OpenSignals, realtime: RealtimeDouble, tokens: Tokens
) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    [join] = realtime.joins
    assert join.query == {"apikey": APIKEY, "vsn": "1.0.0"}
    assert join.topic.startswith(f"realtime:dashin-{TABLE}-")
    assert join.access_token == "token-1"
    assert join.config == {
        "broadcast": {"ack": False, "self": False},
        "presence": {"key": ""},
        "postgres_changes": [{"event": "*", "schema": "public", "table": TABLE, "filter": FILTER}],
        "private": False,
    }
    assert tokens.asked == 1


def test_no_filter_subscribes_to_the_whole_table(
    open_signals: OpenSignals, realtime: RealtimeDouble
) -> None:
    signals = open_signals(filter=None)
    assert signals.next() == Resync()
    assert realtime.joins[0].bindings == [{"event": "*", "schema": "public", "table": TABLE}]
    assert realtime.push(TABLE, "INSERT", job_row(OTHER_JOB)) == 1
    assert signals.next() == Change(row_id=UUID(OTHER_JOB), record=job_row(OTHER_JOB))


def test_changes_carry_the_new_row(open_signals: OpenSignals, realtime: RealtimeDouble) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    assert realtime.push(TABLE, "UPDATE", job_row(OTHER_JOB)) == 0  # the filter is the server's
    assert realtime.push("notifications", "INSERT", {"id": JOB}) == 0
    assert realtime.push(TABLE, "UPDATE", job_row(progress=40), job_row(progress=10)) == 1
    assert signals.next() == Change(row_id=UUID(JOB), record=job_row(progress=40))
    assert realtime.push(TABLE, "DELETE", None, {"id": JOB}) == 1
    assert signals.next() == Change(row_id=UUID(JOB), record=None)


def test_a_dropped_socket_reconnects_rejoins_and_resyncs(
    open_signals: OpenSignals,
    realtime: RealtimeDouble,
    tokens: Tokens,
    backoff_attempts: list[int],
) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    tokens.issued.append("token-2")
    realtime.drop_connections()
    assert signals.next() == Resync()
    assert backoff_attempts == [1]  # even a first reconnect waits its jittered delay
    first, second = realtime.wait_for_joins(2)
    assert realtime.connections_opened == 2
    assert second.topic == first.topic
    assert second.config == first.config
    assert second.access_token == "token-2"  # asked again on every join
    assert realtime.push(TABLE, "UPDATE", job_row(status="completed", progress=100)) == 1
    assert signals.next() == Change(UUID(JOB), job_row(status="completed", progress=100))


def test_an_unreachable_auth_server_is_waited_out(
    open_signals: OpenSignals,
    realtime: RealtimeDouble,
    tokens: Tokens,
    backoff_attempts: list[int],
) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    # Refreshing the session fails twice while the network is out.
    tokens.failures += [ConnectionError("Auth unreachable"), TimeoutError("Auth timed out")]
    realtime.drop_connections()
    assert signals.next() == Resync()
    assert tokens.asked == 4
    assert realtime.connections_opened == 4  # two sockets closed unjoined, then the rejoin
    assert [join.access_token for join in realtime.joins] == ["token-1", "token-1"]
    assert backoff_attempts == [1, 2, 3]  # backing off further each time until it worked


def test_authentication_failures_end_the_subscription(
    open_signals: OpenSignals, realtime: RealtimeDouble, tokens: Tokens
) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    tokens.failures.append(AuthenticationError("refresh token revoked"))
    realtime.drop_connections()
    with pytest.raises(AuthenticationError, match="revoked"):
        signals.next()
    realtime.wait_for_open_connections(0)


def test_a_channel_error_rejoins(open_signals: OpenSignals, realtime: RealtimeDouble) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    realtime.error_channels()
    assert signals.next() == Resync()
    assert len(realtime.wait_for_joins(2)) == 2
    assert realtime.push(TABLE, "UPDATE", job_row()) == 1
    assert signals.next() == Change(UUID(JOB), job_row())


def test_heartbeats_keep_the_socket_while_waiting(
    open_signals: OpenSignals, realtime: RealtimeDouble
) -> None:
    signals = open_signals(filter=FILTER, heartbeat=ANSWERED_HEARTBEAT)
    assert signals.next() == Resync()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(signals.next)  # blocked: nothing to yield, heartbeats go on
        realtime.wait_for_heartbeats(3)
        assert realtime.push(TABLE, "UPDATE", job_row()) == 1
        assert waiting.result(timeout=10) == Change(UUID(JOB), job_row())
    assert realtime.connections_opened == 1  # every heartbeat was answered: no reconnect


def test_an_unanswered_heartbeat_reconnects(
    open_signals: OpenSignals, realtime: RealtimeDouble
) -> None:
    realtime.answer_heartbeats = False
    signals = open_signals(filter=FILTER, heartbeat=0.02)
    assert signals.next() == Resync()
    assert signals.next() == Resync()  # the poll interval is 60 s: this is the rejoin
    assert realtime.connections_opened == 2
    assert len(realtime.wait_for_joins(2)) == 2


def test_quiet_for_a_poll_interval_resyncs(
    open_signals: OpenSignals, realtime: RealtimeDouble
) -> None:
    signals = open_signals(filter=FILTER, poll=0.05)
    assert signals.next() == Resync()
    assert signals.next() == Resync()
    assert realtime.connections_opened == 1  # same socket: a re-read, not a reconnect
    assert len(realtime.joins) == 1


@pytest.mark.parametrize(
    ("reason", "error"),
    [
        ("Invalid JWT Token", AuthenticationError),
        ("You do not have permissions to read from this Channel topic", PermissionDeniedError),
    ],
)
def test_a_refused_join_raises_the_typed_error(
    open_signals: OpenSignals,
    realtime: RealtimeDouble,
    reason: str,
    error: type[Exception],
) -> None:
    realtime.reject_joins(reason)
    signals = open_signals(filter=FILTER)
    with pytest.raises(error, match=reason):
        signals.next()
    realtime.wait_for_open_connections(0)  # the socket was closed on the way out


def test_a_refreshed_token_is_handed_to_the_channel(
    open_signals: OpenSignals, realtime: RealtimeDouble, tokens: Tokens
) -> None:
    signals = open_signals(filter=FILTER, heartbeat=ANSWERED_HEARTBEAT)
    assert signals.next() == Resync()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(signals.next)
        realtime.wait_for_heartbeats(1)
        assert realtime.access_tokens == []  # unchanged token: nothing sent
        tokens.issued.append("token-2")
        [(topic, token)] = realtime.wait_for_access_tokens(1)
        assert (topic, token) == (realtime.joins[0].topic, "token-2")
        realtime.wait_for_heartbeats(realtime.heartbeats + 2)
        assert len(realtime.access_tokens) == 1  # sent once, not at every heartbeat
        assert realtime.push(TABLE, "UPDATE", job_row()) == 1
        assert waiting.result(timeout=10) == Change(UUID(JOB), job_row())


def test_closing_the_generator_closes_the_socket(
    open_signals: OpenSignals, realtime: RealtimeDouble
) -> None:
    signals = open_signals(filter=FILTER)
    assert signals.next() == Resync()
    realtime.wait_for_open_connections(1)
    signals.close()
    realtime.wait_for_open_connections(0)
