"""ZoomInfo: Enterprise API (JWT reused, refreshed at 55 min) and GTM API (JSON:API)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from functions_py.connectors.errors import AuthFailedError, ConnectorConfigError, TransientError
from functions_py.connectors.zoominfo import ZoomInfoConnector
from tests.unit.connectors.conftest import SleepRecorder
from tests.unit.connectors.support import run_all, run_fetch

API = "https://api.zoominfo.com"
CREDS = {"username": "ann@agency.test", "password": "zi-password-42"}


def contact(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": 1000 + i,
        "firstName": f"F{i}",
        "lastName": f"L{i}",
        "jobTitle": "CTO",
        "contactAccuracyScore": 95,
        "hasEmail": True,
        "hasDirectPhone": True,
        "company": {"id": 77, "name": "Globex"},
        **extra,
    }


@respx.mock
def test_enterprise_search_authenticates_once_and_pages() -> None:
    auth = respx.post(f"{API}/authenticate").mock(
        return_value=httpx.Response(200, json={"jwt": "jwt-token-1"})
    )
    everyone = [contact(i) for i in range(5)]

    def search(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        page, rpp = body["page"], body["rpp"]
        return httpx.Response(
            200,
            json={
                "maxResults": rpp,
                "totalResults": 5,
                "currentPage": page,
                "data": everyone[(page - 1) * rpp : page * rpp],
            },
        )

    route = respx.post(f"{API}/search/contact").mock(side_effect=search)
    batches = run_all(
        ZoomInfoConnector({}, CREDS),
        {"jobTitle": "CTO", "excluded_domains": ["gmail.com"]},  # a rule: not sent
        batch_size=2,
    )
    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert auth.call_count == 1
    assert json.loads(auth.calls.last.request.content) == CREDS
    assert route.calls[0].request.headers["authorization"] == "Bearer jwt-token-1"
    assert json.loads(route.calls[0].request.content) == {"jobTitle": "CTO", "rpp": 2, "page": 1}
    lead = batches[0].records[0]
    assert (lead["first_name"], lead["last_name"], lead["title"], lead["company"]) == (
        "F0",
        "L0",
        "CTO",
        "Globex",
    )
    assert lead["metadata"]["zoominfo_id"] == 1000
    assert batches[0].total_estimate == 5


@respx.mock
def test_jwt_is_refreshed_after_55_minutes() -> None:
    tokens = iter(["jwt-1", "jwt-2"])
    auth = respx.post(f"{API}/authenticate").mock(
        side_effect=lambda request: httpx.Response(200, json={"jwt": next(tokens)})
    )
    search = respx.post(f"{API}/search/contact").mock(
        return_value=httpx.Response(200, json={"totalResults": 9, "data": [contact(0)]})
    )
    now = [0.0]
    connector = ZoomInfoConnector({}, CREDS)
    connector.clock = lambda: now[0]

    async def scenario() -> None:
        await connector.fetch({}, None, batch_size=1)
        now[0] = 54 * 60.0
        await connector.fetch({}, {"page": 2}, batch_size=1)
        now[0] = 56 * 60.0
        await connector.fetch({}, {"page": 3}, batch_size=1)
        await connector.aclose()

    asyncio.run(scenario())
    assert auth.call_count == 2
    used = [c.request.headers["authorization"] for c in search.calls]
    assert used == ["Bearer jwt-1", "Bearer jwt-1", "Bearer jwt-2"]


@respx.mock
def test_an_expired_token_is_renewed_once() -> None:
    tokens = iter(["old", "new"])
    respx.post(f"{API}/authenticate").mock(
        side_effect=lambda request: httpx.Response(200, json={"jwt": next(tokens)})
    )
    respx.post(f"{API}/search/contact").mock(
        side_effect=[
            httpx.Response(401, json={"error": "token expired"}),
            httpx.Response(200, json={"totalResults": 1, "data": [contact(0)]}),
        ]
    )
    batch = run_fetch(ZoomInfoConnector({}, CREDS))
    assert len(batch.records) == 1


@respx.mock
def test_bad_password_is_auth_failed_without_the_password() -> None:
    respx.post(f"{API}/authenticate").mock(
        return_value=httpx.Response(401, text="bad password zi-password-42")
    )
    with pytest.raises(AuthFailedError) as caught:
        run_fetch(ZoomInfoConnector({}, CREDS))
    assert "zi-password-42" not in str(caught.value)


@respx.mock
def test_gtm_search_json_api_shape_and_page_params() -> None:
    token = respx.post("https://auth.zoominfo.test/oauth2/token").mock(
        return_value=httpx.Response(200, json={"access_token": "gtm-token", "expires_in": 3600})
    )

    def search(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params["page[number]"])
        data = [
            {"id": str(i), "type": "Contact", "attributes": contact(i, withinEu=True)}
            for i in range((number - 1) * 2, min(number * 2, 3))
        ]
        return httpx.Response(
            200,
            json={
                "data": data,
                "meta": {"page": {"number": number, "total": 2}, "totalResults": 3},
            },
        )

    route = respx.post(f"{API}/gtm/data/v1/contacts/search").mock(side_effect=search)
    connector = ZoomInfoConnector(
        {"api": "gtm", "token_url": "https://auth.zoominfo.test/oauth2/token"},
        {"client_id": "cid", "client_secret": "csecret-123"},
    )
    batches = run_all(connector, {"jobTitle": ["CTO"]}, batch_size=2)
    assert [len(b.records) for b in batches] == [2, 1]
    assert token.call_count == 1
    assert "grant_type=client_credentials" in token.calls.last.request.content.decode()
    request = route.calls[0].request
    assert request.url.params["page[size]"] == "2"
    assert request.headers["authorization"] == "Bearer gtm-token"
    assert json.loads(request.content) == {
        "data": {"type": "ContactSearch", "attributes": {"jobTitle": ["CTO"]}}
    }
    assert batches[0].records[1]["metadata"]["withinEu"] is True
    assert batches[0].records[1]["metadata"]["zoominfo_id"] == "1"


@respx.mock
def test_do_not_call_phone_is_not_stored() -> None:
    respx.post(f"{API}/search/contact").mock(
        return_value=httpx.Response(
            200,
            json={
                "totalResults": 2,
                "data": [
                    contact(0, phone="+1 415 555 0100", directPhoneDoNotCall=True),
                    contact(1, phone="+1 415 555 0101", directPhoneDoNotCall=False),
                ],
            },
        )
    )
    batch = run_fetch(ZoomInfoConnector({}, {"jwt": "pre-issued"}), batch_size=2)
    assert batch.records[0]["phone"] is None
    assert batch.records[0]["metadata"]["directPhoneDoNotCall"] is True
    assert batch.records[1]["phone"] == "+1 415 555 0101"


@respx.mock
def test_429_any_window_retries_then_transient(slept: SleepRecorder) -> None:
    respx.post(f"{API}/search/contact").mock(return_value=httpx.Response(429))
    with pytest.raises(TransientError, match="429"):
        run_fetch(ZoomInfoConnector({}, {"jwt": "pre-issued"}))
    assert len(slept.waits) == 3


@pytest.mark.parametrize(
    ("config", "credentials", "field"),
    [
        ({"api": "v2"}, CREDS, "api"),
        ({}, {"username": "x"}, "credentials.username"),
        ({"api": "gtm"}, {}, "credentials.client_id"),
        ({"api": "gtm"}, {"client_id": "a", "client_secret": "b"}, "token_url"),
    ],
)
def test_bad_config(config: dict[str, Any], credentials: dict[str, Any], field: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        ZoomInfoConnector(config, credentials)
    assert caught.value.field == field
