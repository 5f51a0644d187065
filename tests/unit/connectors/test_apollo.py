"""Apollo.io: the documented search request/response shapes, pagination, limits, errors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from functions_py.connectors.apollo import ApolloConnector, search_body
from functions_py.connectors.errors import AuthFailedError, ConnectorConfigError, TransientError
from tests.unit.connectors.conftest import SleepRecorder
from tests.unit.connectors.support import run_all, run_fetch

SEARCH = "https://api.apollo.io/api/v1/mixed_people/api_search"
MATCH = "https://api.apollo.io/api/v1/people/bulk_match"
KEY = "apollo-master-key-987"


def apollo_person(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"ap{i}",
        "first_name": f"First{i}",
        "last_name": None,
        "last_name_obfuscated": "Sm***h",
        "title": "VP Engineering",
        "linkedin_url": f"http://www.linkedin.com/in/person{i}",
        "organization": {"name": f"Company {i}", "website_url": f"https://c{i}.example"},
        "has_email": True,
        "has_direct_phone": "Yes",
        **extra,
    }


def search_page(
    people: list[dict[str, Any]], page: int, total: int, nested: bool
) -> dict[str, Any]:
    if nested:
        pages = -(-total // 2)
        return {
            "people": people,
            "pagination": {
                "page": page,
                "per_page": 2,
                "total_entries": total,
                "total_pages": pages,
            },
        }
    return {"people": people, "total_entries": total}


@respx.mock
@pytest.mark.parametrize("nested", [True, False], ids=["pagination-object", "top-level-total"])
def test_search_pages_until_the_last(nested: bool) -> None:
    everyone = [apollo_person(i) for i in range(5)]
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        page, size = body["page"], body["per_page"]
        chunk = everyone[(page - 1) * size : page * size]
        return httpx.Response(200, json=search_page(chunk, page, 5, nested))

    route = respx.post(SEARCH).mock(side_effect=answer)
    batches = run_all(
        ApolloConnector({}, {"api_key": KEY}),
        {"titles": ["CTO", "VP Engineering"], "person_locations": ["Berlin"]},
        batch_size=2,
    )
    assert [len(b.records) for b in batches] == [2, 2, 1]
    assert [b.next_cursor for b in batches] == [{"page": 2}, {"page": 3}, None]
    assert batches[0].total_estimate == 5
    assert route.calls[0].request.headers["x-api-key"] == KEY
    assert bodies[0] == {
        "person_titles": ["CTO", "VP Engineering"],
        "person_locations": ["Berlin"],
        "page": 1,
        "per_page": 2,
    }
    lead = batches[0].records[0]
    assert lead["first_name"] == "First0"
    assert lead["last_name"] is None
    assert lead["company"] == "Company 0"
    assert lead["title"] == "VP Engineering"
    assert lead["email"] is None  # the search returns no emails
    assert lead["metadata"]["apollo_id"] == "ap0"
    assert lead["metadata"]["last_name_obfuscated"] == "Sm***h"


def test_qualification_rules_are_not_sent() -> None:
    body = search_body({"person_titles": ["CTO"], "title_keywords": ["cto"], "countries": ["US"]})
    assert body == {"person_titles": ["CTO"]}


def test_generic_criteria_are_translated() -> None:
    assert search_body({"keywords": "saas", "domains": ["a.com"], "person_titles[]": ["x"]}) == {
        "q_keywords": "saas",
        "q_organization_domains_list": ["a.com"],
        "person_titles": ["x"],
    }


@respx.mock
def test_page_size_is_capped_at_100_and_oauth_token_is_bearer() -> None:
    route = respx.post(SEARCH).mock(return_value=httpx.Response(200, json={"people": []}))
    batch = run_fetch(ApolloConnector({}, {"access_token": "oauth-token-1"}), batch_size=500)
    body = json.loads(route.calls.last.request.content)
    assert body["per_page"] == 100
    assert route.calls.last.request.headers["authorization"] == "Bearer oauth-token-1"
    assert batch.next_cursor is None


@respx.mock
def test_the_500_page_limit_ends_the_search() -> None:
    full = {"people": [apollo_person(i) for i in range(2)], "total_entries": 100_000}
    respx.post(SEARCH).mock(return_value=httpx.Response(200, json=full))
    batch = run_fetch(ApolloConnector({}, {"api_key": KEY}), cursor={"page": 500}, batch_size=2)
    assert batch.next_cursor is None
    assert batch.total_estimate == 1000


@respx.mock
def test_enrichment_fills_empty_fields_only_and_skips_nulls() -> None:
    respx.post(SEARCH).mock(
        return_value=httpx.Response(
            200, json={"people": [apollo_person(0), apollo_person(1)], "total_entries": 2}
        )
    )
    match = respx.post(MATCH).mock(
        return_value=httpx.Response(
            200,
            json={
                "matches": [
                    {
                        "id": "ap0",
                        "email": "first0@c0.example",
                        "last_name": "Smith",
                        "title": "Overwritten?",
                        "phone_numbers": [{"sanitized_number": "+14155550100"}],
                    },
                    None,
                ]
            },
        )
    )
    batch = run_fetch(ApolloConnector({"enrich": True}, {"api_key": KEY}), batch_size=2)
    assert json.loads(match.calls.last.request.content)["details"] == [{"id": "ap0"}, {"id": "ap1"}]
    first, second = batch.records
    assert first["email"] == "first0@c0.example"
    assert first["last_name"] == "Smith"
    assert first["phone"] == "+14155550100"
    assert first["title"] == "VP Engineering"  # not overwritten
    assert second["email"] is None


@respx.mock
def test_429_with_apollo_minute_headers_waits_a_minute(slept: SleepRecorder) -> None:
    respx.post(SEARCH).mock(
        side_effect=[
            httpx.Response(
                429,
                headers={
                    "x-rate-limit-minute": "200",
                    "x-minute-requests-left": "0",
                    "x-hourly-requests-left": "150",
                    "x-daily-requests-left": "1900",
                },
            ),
            httpx.Response(200, json={"people": []}),
        ]
    )
    run_fetch(ApolloConnector({}, {"api_key": KEY}))
    assert slept.waits == [60.0]


@respx.mock
def test_429_with_retry_after_and_500_then_transient(slept: SleepRecorder) -> None:
    respx.post(SEARCH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            *[httpx.Response(500)] * 4,
        ]
    )
    with pytest.raises(TransientError, match="HTTP 500"):
        run_fetch(ApolloConnector({}, {"api_key": KEY}))
    assert slept.waits[0] == 2.0


@respx.mock
def test_timeouts_become_transient(slept: SleepRecorder) -> None:
    respx.post(SEARCH).mock(side_effect=httpx.ConnectTimeout("no route"))
    with pytest.raises(TransientError, match="timed out"):
        run_fetch(ApolloConnector({}, {"api_key": KEY}))


@respx.mock
@pytest.mark.parametrize("status", [401, 403])
def test_bad_key_is_auth_failed_without_the_key(status: int) -> None:
    respx.post(SEARCH).mock(
        return_value=httpx.Response(status, json={"error": f"Invalid access credentials {KEY}"})
    )
    with pytest.raises(AuthFailedError) as caught:
        run_fetch(ApolloConnector({}, {"api_key": KEY}))
    assert KEY not in str(caught.value)
    ok, message = ApolloConnector({}, {"api_key": KEY}).test_connection()
    assert not ok
    assert KEY not in message


@respx.mock
def test_check_reports_the_total() -> None:
    respx.post(SEARCH).mock(
        return_value=httpx.Response(200, json=search_page([apollo_person(0)], 1, 1234, True))
    )
    assert ApolloConnector({}, {"api_key": KEY}).test_connection() == (
        True,
        "Apollo reachable: 1234 people searchable",
    )


def test_missing_key_is_a_config_error() -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        ApolloConnector({}, {})
    assert caught.value.field == "credentials.api_key"
