"""PostgREST failures become typed errors; only safe calls are retried, with backoff."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dashin_sdk import ClientOptions
from dashin_sdk.errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    ConnectionError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TimeoutError,
    ValidationError,
)
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A
from tests.unit.sdk_http.harness import Harness

UPDATE_LEAD = ("PATCH", "/rest/v1/leads", lambda dx: dx.leads.update(pg.LEAD_ID, title="CTO"))
START_JOB = ("POST", "/rest/v1/rpc/start_job", lambda dx: dx.jobs.start(pg.JOB_ID))
GET_LEAD = ("GET", "/rest/v1/leads", lambda dx: dx.leads.get(pg.LEAD_ID))
SCORE = ("POST", "/rest/v1/rpc/calculate_lead_score", lambda dx: dx.leads.score(pg.LEAD_ID))


@pytest.mark.parametrize(
    ("call", "status", "code", "expected"),
    [
        (UPDATE_LEAD, 403, "42501", PermissionDeniedError),
        (UPDATE_LEAD, 409, "23505", ConflictError),
        (UPDATE_LEAD, 409, "23503", ConflictError),
        (UPDATE_LEAD, 400, "23514", ValidationError),
        (UPDATE_LEAD, 400, "22P02", ValidationError),
        (UPDATE_LEAD, 400, "PGRST204", ValidationError),
        (GET_LEAD, 406, "PGRST116", NotFoundError),
        (START_JOB, 409, "PT409", InvalidStateError),
        (START_JOB, 404, "PGRST202", NotFoundError),
        (GET_LEAD, 401, "PGRST302", AuthenticationError),
        (UPDATE_LEAD, 500, "XX000", ServerError),
    ],
    ids=lambda value: value if isinstance(value, str | int) else None,
)
def test_postgrest_error_bodies_become_typed_errors(
    h: Harness, call: Any, status: int, code: str, expected: type[APIError]
) -> None:
    method, path, action = call
    dx = h.signed_in(ADMIN_A)
    route = h.api.route(method=method, path=path).mock(
        return_value=pg.error(status, code, "refused", details="why", hint="try this")
    )
    with pytest.raises(expected) as caught:
        h.call(dx, action)
    error = caught.value
    assert type(error) is expected
    assert (error.status, error.code, error.message) == (status, code, "refused")
    assert (error.details, error.hint) == ("why", "try this")
    assert route.call_count == 1


def test_a_body_that_is_not_json_still_maps_by_status(h: Harness) -> None:
    dx = h.client(options=ClientOptions(max_retries=0))
    h.api.get("/rest/v1/leads").mock(
        return_value=httpx.Response(502, text="<html>Bad Gateway</html>")
    )
    with pytest.raises(ServerError) as caught:
        h.call(dx, GET_LEAD[2])
    assert (caught.value.status, caught.value.message) == (502, "HTTP 502")


@pytest.mark.parametrize("call", [GET_LEAD, SCORE], ids=["select", "read_only rpc"])
def test_reads_retry_429_honouring_retry_after_then_raise(
    h: Harness, sleeps: list[float], call: Any
) -> None:
    method, path, action = call
    dx = h.signed_in(ADMIN_A)
    route = h.api.route(method=method, path=path).mock(
        return_value=pg.error(429, "429", "slow down", headers={"Retry-After": "2"})
    )
    with pytest.raises(RateLimitError) as caught:
        h.call(dx, action)
    assert caught.value.retry_after == 2.0
    assert route.call_count == 3  # the call and max_retries=2 retries
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_reads_retry_transient_statuses_and_succeed(
    h: Harness, sleeps: list[float], status: int
) -> None:
    dx = h.signed_in(ADMIN_A)
    route = h.api.get("/rest/v1/leads").mock(
        side_effect=[httpx.Response(status, json={"message": "busy"}), pg.rows([pg.lead()])]
    )
    lead = h.call(dx, GET_LEAD[2])
    assert str(lead.id) == pg.LEAD_ID
    assert route.call_count == 2
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 8.0  # jittered backoff without Retry-After


def test_rate_limit_without_retry_after_has_none(h: Harness, sleeps: list[float]) -> None:
    dx = h.client(options=ClientOptions(max_retries=0))
    h.api.get("/rest/v1/leads").mock(return_value=pg.error(429, "429", "slow down"))
    with pytest.raises(RateLimitError) as caught:
        h.call(dx, GET_LEAD[2])
    assert caught.value.retry_after is None
    assert sleeps == []


@pytest.mark.parametrize("call", [UPDATE_LEAD, START_JOB], ids=["update", "rpc"])
@pytest.mark.parametrize("status", [429, 503])
def test_mutations_are_never_retried_on_a_response(
    h: Harness, sleeps: list[float], call: Any, status: int
) -> None:
    method, path, action = call
    dx = h.signed_in(ADMIN_A)
    route = h.api.route(method=method, path=path).mock(
        return_value=pg.error(status, str(status), "busy", headers={"Retry-After": "1"})
    )
    with pytest.raises(RateLimitError if status == 429 else ServerError) as caught:
        h.call(dx, action)
    assert route.call_count == 1
    assert sleeps == []
    if status == 429:
        assert isinstance(caught.value, RateLimitError)
        assert caught.value.retry_after == 1.0


def test_reads_retry_broken_connections_then_raise(h: Harness, sleeps: list[float]) -> None:
    dx = h.signed_in(ADMIN_A)
    route = h.api.get("/rest/v1/leads").mock(side_effect=httpx.ReadError("connection reset"))
    with pytest.raises(ConnectionError):
        h.call(dx, GET_LEAD[2])
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_mutation_is_not_retried_once_sent(h: Harness, sleeps: list[float]) -> None:
    dx = h.signed_in(ADMIN_A)
    route = h.api.patch("/rest/v1/leads").mock(side_effect=httpx.ReadError("connection reset"))
    with pytest.raises(ConnectionError):
        h.call(dx, UPDATE_LEAD[2])
    assert route.call_count == 1
    assert sleeps == []


def test_mutation_is_retried_when_the_connection_never_opened(
    h: Harness, sleeps: list[float]
) -> None:
    dx = h.signed_in(ADMIN_A)
    route = h.api.patch("/rest/v1/leads").mock(
        side_effect=[httpx.ConnectError("refused"), pg.rows([pg.lead(title="CTO")])]
    )
    lead = h.call(dx, UPDATE_LEAD[2])
    assert lead.title == "CTO"
    assert route.call_count == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("call", [GET_LEAD, UPDATE_LEAD], ids=["read", "mutation"])
def test_timeouts_raise_timeout_error_without_repeating_the_request(
    h: Harness, sleeps: list[float], call: Any
) -> None:
    method, path, action = call
    dx = h.signed_in(ADMIN_A)
    route = h.api.route(method=method, path=path).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TimeoutError):
        h.call(dx, action)
    assert route.call_count == 1
    assert sleeps == []


INVALID_CALLS = [
    ("page", lambda dx: dx.leads.list(page=0)),
    ("page_size", lambda dx: dx.campaigns.list(page_size=5000)),
    ("sort_by", lambda dx: dx.jobs.list(sort_by="password")),
    ("sort_order", lambda dx: dx.leads.list(sort_order="sideways")),
    ("status", lambda dx: dx.leads.list(status="won")),
    ("lead_id", lambda dx: dx.leads.get("not-a-uuid")),
    ("name", lambda dx: dx.campaigns.create(name="")),
    (
        "CampaignUpdate",  # a cross-field rule names its model
        lambda dx: dx.campaigns.update(pg.LEAD_ID, start_date="2025-02-01", end_date="2025-01-01"),
    ),
    ("email", lambda dx: dx.leads.create(email="not an email")),
    ("lead_ids", lambda dx: dx.leads.bulk_update([], status="new")),
    ("updates", lambda dx: dx.leads.bulk_update([pg.LEAD_ID])),
    ("batch_size", lambda dx: dx.leads.upsert_many([{"email": "a@x.io"}], batch_size=0)),
    ("range", lambda dx: dx.analytics.overview(range="2d")),
    ("group_by", lambda dx: dx.analytics.leads(group_by="color")),
    ("type", lambda dx: dx.data_sources.create(name="x", type="carrier-pigeon")),
    ("max_attempts", lambda dx: dx.jobs.create(pg.JOB_ID, {}, max_attempts=0)),
    ("ids", lambda dx: dx.notifications.mark_read(["nope"])),
    ("lease_seconds", lambda dx: dx.queue.heartbeat(pg.JOB_ID, "w", lease_seconds=1)),
    (
        "progress",
        lambda dx: dx.queue.checkpoint(
            pg.JOB_ID,
            "w",
            checkpoint={},
            progress=101,
            records_processed=0,
            records_qualified=0,
            records_rejected=0,
        ),
    ),
    ("email", lambda dx: dx.auth.sign_in_with_password("nobody", "pw")),
    ("password", lambda dx: dx.auth.sign_in_with_password("a@b.io", "")),
]


@pytest.mark.parametrize(("field", "action"), INVALID_CALLS, ids=[f for f, _ in INVALID_CALLS])
def test_invalid_input_is_refused_before_any_request(h: Harness, field: str, action: Any) -> None:
    dx = h.client(pg.SERVICE_KEY)
    with pytest.raises(ValidationError) as caught:
        h.call(dx, action)
    assert caught.value.field == field
    assert h.api.calls.call_count == 0
