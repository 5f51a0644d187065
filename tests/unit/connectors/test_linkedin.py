"""LinkedIn Lead Sync (form responses mapped through the form's questions) + PDL enrichment."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import respx

from functions_py.connectors.errors import AuthFailedError, ConnectorConfigError, TransientError
from functions_py.connectors.linkedin import LinkedInConnector
from tests.unit.connectors.conftest import SleepRecorder
from tests.unit.connectors.support import run_all, run_fetch

REST = "https://api.linkedin.com/rest"
PDL = "https://api.peopledatalabs.com/v5/person/enrich"
OWNER = "urn:li:sponsoredAccount:5001"
FORM = "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:789,1)"
TOKEN = "li-oauth-token-xyz"


def response_element(i: int, answers: dict[int, str]) -> dict[str, Any]:
    return {
        "id": f"lead-{i}",
        "leadType": "SPONSORED",
        "versionedLeadGenFormUrn": FORM,
        "submittedAt": 1_700_000_000_000 + i,
        "testLead": False,
        "owner": {"sponsoredAccount": OWNER},
        "formResponse": {
            "answers": [
                {"questionId": q, "answerDetails": {"textQuestionAnswer": {"answer": a}}}
                for q, a in answers.items()
            ],
            "consentResponses": [],
        },
    }


FORM_BODY = {
    "id": 789,
    "content": {
        "questions": [
            {"questionId": 1, "name": "firstName", "predefinedField": "FIRST_NAME"},
            {"questionId": 2, "name": "lastName", "predefinedField": "LAST_NAME"},
            {"questionId": 3, "name": "email", "predefinedField": "EMAIL"},
            {"questionId": 4, "name": "company", "predefinedField": "COMPANY_NAME"},
            {"questionId": 5, "name": "linkedin", "predefinedField": "LINKEDIN_PROFILE_LINK"},
            {"questionId": 6, "name": "budget"},
        ]
    },
}


def answers(i: int) -> dict[int, str]:
    return {
        1: f"Ann{i}",
        2: "Lee",
        3: f"ann{i}@acme.com",
        4: "Acme",
        5: f"https://www.linkedin.com/in/ann{i}",
        6: "10k",
    }


@respx.mock
def test_lead_form_responses_are_paged_and_mapped() -> None:
    everyone = [response_element(i, answers(i)) for i in range(3)]

    def page(request: httpx.Request) -> httpx.Response:
        start, count = int(request.url.params["start"]), int(request.url.params["count"])
        return httpx.Response(
            200,
            json={
                "elements": everyone[start : start + count],
                "paging": {"start": start, "count": count, "total": 3},
            },
        )

    route = respx.get(url__startswith=f"{REST}/leadFormResponses").mock(side_effect=page)
    form = respx.get(f"{REST}/leadForms/789").mock(return_value=httpx.Response(200, json=FORM_BODY))
    batches = run_all(LinkedInConnector({"owner": OWNER}, {"access_token": TOKEN}), batch_size=2)
    assert [len(b.records) for b in batches] == [2, 1]
    assert [b.next_cursor for b in batches] == [{"start": 2}, None]
    assert form.call_count == 1  # the form's questions are read once
    request = route.calls[0].request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["x-restli-protocol-version"] == "2.0.0"
    assert request.headers["linkedin-version"].isdigit()
    query = unquote(request.url.query.decode())
    assert f"owner=(sponsoredAccount:{OWNER})" in query
    assert "leadType=(leadType:SPONSORED)" in query
    assert "q=owner" in query
    lead = batches[0].records[0]
    assert (lead["first_name"], lead["last_name"], lead["email"], lead["company"]) == (
        "Ann0",
        "Lee",
        "ann0@acme.com",
        "Acme",
    )
    assert lead["linkedin_url"] == "https://www.linkedin.com/in/ann0"
    assert lead["metadata"]["question_6"] == "10k"
    assert lead["metadata"]["linkedin_lead_id"] == "lead-0"
    assert batches[0].total_estimate == 3


@respx.mock
def test_pdl_enrichment_fills_empty_fields_and_404_is_no_match(slept: SleepRecorder) -> None:
    partial = {1: "Ann", 5: "https://www.linkedin.com/in/ann"}
    nobody = {1: "Bob", 5: "https://www.linkedin.com/in/bob"}
    respx.get(url__startswith=f"{REST}/leadFormResponses").mock(
        return_value=httpx.Response(
            200,
            json={
                "elements": [response_element(0, partial), response_element(1, nobody)],
                "paging": {"start": 0, "count": 10, "total": 2},
            },
        )
    )
    respx.get(f"{REST}/leadForms/789").mock(return_value=httpx.Response(200, json=FORM_BODY))

    def enrich(request: httpx.Request) -> httpx.Response:
        if request.url.params["profile"].endswith("/bob"):
            return httpx.Response(404, json={"status": 404, "error": {"type": "not_found"}})
        return httpx.Response(
            200,
            json={
                "status": 200,
                "likelihood": 9,
                "data": {
                    "first_name": "Anne (not used)",
                    "last_name": "Lee",
                    "work_email": "ann@acme.com",
                    "job_title": "CTO",
                    "job_company_name": "Acme",
                    "mobile_phone": "+14155550100",
                },
            },
        )

    calls: list[str] = []

    def pdl_answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["profile"])
        if len(calls) == 1:
            return httpx.Response(
                429,
                json={"status": 429, "error": {"type": "rate_limit_error"}},
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3"},
            )
        return enrich(request)

    pdl = respx.get(PDL).mock(side_effect=pdl_answer)
    batch = run_fetch(
        LinkedInConnector({"owner": OWNER}, {"access_token": TOKEN, "pdl_api_key": "pdl-key-1"})
    )
    ann, bob = batch.records
    assert ann["first_name"] == "Ann"  # filled fields are kept
    assert (ann["email"], ann["title"], ann["company"], ann["phone"], ann["last_name"]) == (
        "ann@acme.com",
        "CTO",
        "Acme",
        "+14155550100",
        "Lee",
    )
    assert ann["metadata"]["enriched_by"] == "peopledatalabs"
    assert bob["email"] is None
    assert "enriched_by" not in bob["metadata"]
    assert pdl.calls[0].request.headers["x-api-key"] == "pdl-key-1"
    assert slept.waits == [3.0]  # PDL's x-ratelimit-reset honoured


@respx.mock
def test_question_map_without_a_readable_form() -> None:
    respx.get(url__startswith=f"{REST}/leadFormResponses").mock(
        return_value=httpx.Response(
            200, json={"elements": [response_element(0, {3: "x@y.com"})], "paging": {"total": 1}}
        )
    )
    respx.get(f"{REST}/leadForms/789").mock(return_value=httpx.Response(404))
    batch = run_fetch(
        LinkedInConnector({"owner": OWNER, "question_map": {"3": "email"}}, {"access_token": TOKEN})
    )
    assert batch.records[0]["email"] == "x@y.com"


@respx.mock
def test_expired_token_is_auth_failed_without_the_token() -> None:
    respx.get(url__startswith=f"{REST}/leadFormResponses").mock(
        return_value=httpx.Response(401, json={"message": f"Invalid access token {TOKEN}"})
    )
    ok, message = LinkedInConnector({"owner": OWNER}, {"access_token": TOKEN}).test_connection()
    assert not ok
    assert TOKEN not in message
    assert "401" in message
    with pytest.raises(AuthFailedError):
        run_fetch(LinkedInConnector({"owner": OWNER}, {"access_token": TOKEN}))


@respx.mock
def test_429_without_retry_after_then_transient(slept: SleepRecorder) -> None:
    respx.get(url__startswith=f"{REST}/leadFormResponses").mock(
        return_value=httpx.Response(429, json={"status": 429})
    )
    with pytest.raises(TransientError):
        run_fetch(LinkedInConnector({"owner": OWNER}, {"access_token": TOKEN}))
    assert len(slept.waits) == 3


@pytest.mark.parametrize(
    ("config", "credentials", "field"),
    [
        ({"owner": OWNER}, {}, "credentials.access_token"),
        ({}, {"access_token": TOKEN}, "owner"),
        ({"owner": "urn:li:person:1"}, {"access_token": TOKEN}, "owner"),
        ({"owner": OWNER, "lead_type": "SCRAPED"}, {"access_token": TOKEN}, "lead_type"),
        ({"owner": OWNER, "question_map": {"1": "age"}}, {"access_token": TOKEN}, "question_map.1"),
    ],
)
def test_bad_config(config: dict[str, Any], credentials: dict[str, Any], field: str) -> None:
    with pytest.raises(ConnectorConfigError) as caught:
        LinkedInConnector(config, credentials)
    assert caught.value.field == field
