"""The configured REST API connector: auth styles, the four pagination styles, mapping."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from functions_py.connectors.api import ApiConnector, next_link
from functions_py.connectors.errors import AuthFailedError, ConnectorConfigError
from tests.unit.connectors.conftest import SleepRecorder
from tests.unit.connectors.support import run_all, run_fetch

BASE = "https://crm.example.test/api/contacts"
MAPPING = {"email": "contact.email", "first_name": "name.first", "company": "org.name"}


def person(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "contact": {"email": f"p{i}@example.com"},
        "name": {"first": f"P{i}"},
        "org": {"name": "Org"},
    }


def config(**overrides: Any) -> dict[str, Any]:
    return {"base_url": BASE, "records_path": "data.items", "mapping": MAPPING, **overrides}


@respx.mock
def test_page_pagination_and_mapping() -> None:
    people = [person(i) for i in range(5)]

    def page(request: httpx.Request) -> httpx.Response:
        number, size = int(request.url.params["page"]), int(request.url.params["per_page"])
        chunk = people[(number - 1) * size : number * size]
        return httpx.Response(200, json={"data": {"items": chunk}, "meta": {"total": 5}})

    route = respx.get(BASE).mock(side_effect=page)
    connector = ApiConnector(
        config(pagination={"type": "page"}, total_path="meta.total", params={"segment": "hot"}),
        None,
    )
    batches = run_all(connector, {"country": "US", "required_fields": ["email"]}, batch_size=2)
    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert batches[-1].next_cursor is None
    assert batches[0].total_estimate == 5
    assert batches[0].records[0]["email"] == "p0@example.com"
    assert batches[0].records[0]["first_name"] == "P0"
    assert batches[0].records[0]["company"] == "Org"
    assert batches[0].raw[0] == people[0]
    first = route.calls[0].request.url.params
    assert first["segment"] == "hot"
    assert first["country"] == "US"
    assert "required_fields" not in first  # a qualification rule, not a search parameter


@respx.mock
def test_offset_pagination_stops_on_a_short_page() -> None:
    people = [person(i) for i in range(7)]

    def page(request: httpx.Request) -> httpx.Response:
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        return httpx.Response(200, json={"data": {"items": people[offset : offset + limit]}})

    respx.get(BASE).mock(side_effect=page)
    batches = run_all(ApiConnector(config(pagination={"type": "offset"}), None), batch_size=3)
    assert [r["email"] for b in batches for r in b.records] == [
        f"p{i}@example.com" for i in range(7)
    ]
    assert batches[1].next_cursor == {"offset": 6, "position": 6}


@respx.mock
def test_cursor_pagination_in_a_post_body() -> None:
    pages = {None: ("c1", [person(0), person(1)]), "c1": ("c2", [person(2)]), "c2": (None, [])}
    seen_bodies: list[dict[str, Any]] = []

    def page(request: httpx.Request) -> httpx.Response:
        seen_bodies.append(json.loads(request.content))
        token, items = pages[request.url.params.get("cursor")]
        return httpx.Response(200, json={"results": items, "next": token})

    respx.post(BASE).mock(side_effect=page)
    connector = ApiConnector(
        {
            "base_url": BASE,
            "method": "POST",
            "body": {"list": 7},
            "records_path": "results",
            "mapping": {"email": "contact.email"},
            "pagination": {"type": "cursor", "cursor_path": "next", "param": "cursor"},
        },
        None,
    )
    batches = run_all(connector, {"title": "CTO"}, batch_size=2)
    assert [r["email"] for b in batches for r in b.records] == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]
    assert seen_bodies[0] == {"list": 7, "title": "CTO"}
    assert [b.next_cursor for b in batches][-1] is None


@respx.mock
def test_link_header_pagination() -> None:
    def page(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=[person(2)], headers={"Link": f'<{BASE}>; rel="prev"'})
        assert request.url.params["per_page"] == "2"
        links = f'<{BASE}?page=2&per_page=2>; rel="next", <{BASE}?page=9>; rel="last"'
        return httpx.Response(200, json=[person(0), person(1)], headers={"Link": links})

    respx.get(BASE).mock(side_effect=page)
    connector = ApiConnector(
        {
            "base_url": BASE,
            "mapping": {"email": "contact.email"},
            "pagination": {"type": "link", "size_param": "per_page"},
        },
        None,
    )
    batches = run_all(connector, batch_size=2)
    assert [len(b.records) for b in batches] == [2, 1]
    assert batches[0].next_cursor == {"url": f"{BASE}?page=2&per_page=2", "position": 2}


def test_next_link_parsing() -> None:
    assert next_link('<https://a.test/?p=2>; rel="next"') == "https://a.test/?p=2"
    assert next_link('<https://a.test/?p=1>; rel="prev", <https://a.test/?p=3>; rel=next') == (
        "https://a.test/?p=3"
    )
    assert next_link('<https://a.test/?p=1>; rel="prev"') is None
    assert next_link(None) is None


@respx.mock
@pytest.mark.parametrize(
    ("auth", "credentials", "header", "expected"),
    [
        ({"type": "bearer"}, {"token": "tok-123456"}, "authorization", "Bearer tok-123456"),
        (
            {"type": "header", "name": "X-Api-Key"},
            {"api_key": "key-123456"},
            "x-api-key",
            "key-123456",
        ),
        (
            {"type": "basic"},
            {"username": "ann", "password": "pw-123456"},
            "authorization",
            "Basic " + base64.b64encode(b"ann:pw-123456").decode(),
        ),
    ],
)
def test_auth_styles(
    auth: dict[str, Any], credentials: dict[str, str], header: str, expected: str
) -> None:
    route = respx.get(BASE).mock(return_value=httpx.Response(200, json={"data": {"items": []}}))
    batch = run_fetch(ApiConnector(config(auth=auth), credentials))
    assert route.calls.last.request.headers[header] == expected
    assert batch.records == []
    assert batch.next_cursor is None


@respx.mock
def test_401_is_auth_failed_without_the_token(slept: SleepRecorder) -> None:
    respx.get(BASE).mock(return_value=httpx.Response(401, text="invalid token tok-123456"))
    ok, message = ApiConnector(
        config(auth={"type": "bearer"}), {"token": "tok-123456"}
    ).test_connection()
    assert not ok
    assert "tok-123456" not in message
    assert "401" in message
    with pytest.raises(AuthFailedError):
        run_fetch(ApiConnector(config(auth={"type": "bearer"}), {"token": "tok-123456"}))


@respx.mock
def test_non_object_records_are_rejected_with_their_position() -> None:
    respx.get(BASE).mock(
        return_value=httpx.Response(200, json={"data": {"items": [person(0), "junk", 3]}})
    )
    batch = run_fetch(ApiConnector(config(), None), cursor={"position": 10})
    assert [(r.position, r.reason) for r in batch.rejected] == [
        (11, "record is not a JSON object"),
        (12, "record is not a JSON object"),
    ]
    assert len(batch.records) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"base_url": "ftp://x"}, "base_url"),
        ({"method": "DELETE"}, "method"),
        ({"auth": {"type": "oauth1"}}, "auth.type"),
        ({"auth": {"type": "header"}}, "auth.name"),
        ({"pagination": {"type": "scroll"}}, "pagination.type"),
        ({"pagination": {"type": "cursor"}}, "pagination.cursor_path"),
        ({"mapping": {}}, "mapping"),
        ({"mapping": {"mail": "a.b"}}, "mapping.mail"),
    ],
)
def test_bad_config_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        ApiConnector(config(**overrides), None)
    assert caught.value.field == field


@respx.mock
def test_missing_credential_is_a_config_error() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        run_fetch(ApiConnector(config(auth={"type": "bearer"}), {}))
    assert caught.value.field == "credentials.token"
