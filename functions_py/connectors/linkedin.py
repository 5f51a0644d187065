"""The ``linkedin`` connector: lead gen form responses from the LinkedIn Lead Sync API.

No page scraping: leads are what members submitted through the owner's lead gen forms.
Credentials ``access_token`` (OAuth 2.0, scope ``r_marketing_leadgen_automation``), and
optionally ``pdl_api_key`` to enrich each lead by its LinkedIn URL through People Data Labs
(fills empty fields only; a 404 there is "no match").

Config::

    {"owner": "urn:li:sponsoredAccount:123"     # or urn:li:organization:456
     "lead_type"?: "SPONSORED",                 # EVENT, COMPANY, ORGANIZATION_PRODUCT
     "form"?: "urn:li:versionedLeadGenForm:(urn:li:leadGenForm:789,1)",
     "version"?: "202510",                      # the LinkedIn-Version header (YYYYMM)
     "question_map"?: {"<questionId>": "<lead column>"}}

Search criteria are not sent to LinkedIn (the forms decide who submits); they only feed
qualification. Answers are mapped through the form's predefined fields (``FIRST_NAME``,
``EMAIL``...), read once per form. The cursor is ``{"start": n}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

from functions_py.connectors.base import Batch, Connector, map_json_items
from functions_py.connectors.errors import ConnectorConfigError, PermanentError
from functions_py.connectors.fields import LEAD_COLUMNS, fill_empty, get_path, lead_record

DEFAULT_BASE_URL = "https://api.linkedin.com/rest"
DEFAULT_VERSION = "202510"
PDL_URL = "https://api.peopledatalabs.com/v5/person/enrich"
LEAD_TYPES = ("SPONSORED", "EVENT", "COMPANY", "ORGANIZATION_PRODUCT")
MAX_PAGE_SIZE = 100
OWNER_KINDS = ("sponsoredAccount", "organization")

PREDEFINED_FIELDS = {
    "FIRST_NAME": "first_name",
    "LAST_NAME": "last_name",
    "EMAIL": "email",
    "WORK_EMAIL": "email",
    "COMPANY_NAME": "company",
    "JOB_TITLE": "title",
    "PHONE_NUMBER": "phone",
    "WORK_PHONE_NUMBER": "phone",
    "LINKEDIN_PROFILE_LINK": "linkedin_url",
}
_FORM_ID = re.compile(r"urn:li:leadGenForm:(\d+)")


def restli(value: str) -> str:
    """A URN as a Rest.li 2.0 query value (reserved characters inside it encoded)."""
    return quote(value, safe="")


def answer_text(answer: Mapping[str, Any]) -> str | None:
    details = answer.get("answerDetails") or {}
    text = get_path(details, "textQuestionAnswer.answer")
    if text is None:
        choices = get_path(details, "multipleChoiceAnswer.options")
        text = ", ".join(str(c) for c in choices) if isinstance(choices, list) else None
    return str(text) if text is not None else None


def pdl_to_lead(data: Mapping[str, Any]) -> dict[str, Any]:
    """A People Data Labs person as lead fields."""
    emails = data.get("emails") or []
    first_email = emails[0].get("address") if emails and isinstance(emails[0], Mapping) else None
    phones = data.get("phone_numbers") or []
    return lead_record(
        {
            "email": data.get("work_email") or first_email,
            "first_name": data.get("first_name"),
            "last_name": data.get("last_name"),
            "company": data.get("job_company_name"),
            "title": data.get("job_title"),
            "phone": data.get("mobile_phone") or (phones[0] if phones else None),
        }
    )


class LinkedInConnector(Connector):
    """LinkedIn Lead Sync; see the module docstring."""

    type: ClassVar[str] = "linkedin"
    default_base_url = DEFAULT_BASE_URL

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._questions: dict[str, dict[str, str]] = {}
        super().__init__(*args, **kwargs)

    def validate(self) -> None:
        if not self.credentials.get("access_token"):
            raise ConnectorConfigError("credentials.access_token", "a LinkedIn OAuth token")
        owner = self.config.get("owner")
        if not isinstance(owner, str) or not owner.startswith("urn:li:"):
            raise ConnectorConfigError("owner", "an urn:li:sponsoredAccount or organization URN")
        if owner.split(":")[2] not in OWNER_KINDS:
            raise ConnectorConfigError("owner", "must be a sponsoredAccount or organization URN")
        if self._lead_type not in LEAD_TYPES:
            raise ConnectorConfigError("lead_type", f"one of {', '.join(LEAD_TYPES)}")
        for question, column in (self.config.get("question_map") or {}).items():
            if column not in LEAD_COLUMNS:
                raise ConnectorConfigError(f"question_map.{question}", "is not a lead column")

    @property
    def _lead_type(self) -> Any:
        return self.config.get("lead_type", "SPONSORED")

    @property
    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.credentials['access_token']}",
            "LinkedIn-Version": str(self.config.get("version", DEFAULT_VERSION)),
            "X-Restli-Protocol-Version": "2.0.0",
            "Accept": "application/json",
        }

    def _responses_url(self, start: int, count: int) -> str:
        owner = str(self.config["owner"])
        kind = owner.split(":")[2]
        lead_type = self._lead_type
        query = (
            f"q=owner&owner=({kind}:{restli(owner)})&leadType=(leadType:{lead_type})"
            f"&limitedToTestLeads=false&start={start}&count={count}"
        )
        if self.config.get("form"):
            query += f"&versionedLeadGenFormUrn={restli(str(self.config['form']))}"
        return f"{self._base}/leadFormResponses?{query}"

    async def _form_questions(self, form_urn: str | None) -> dict[str, str]:
        """questionId -> lead column for a form (config ``question_map`` wins)."""
        explicit = {str(k): str(v) for k, v in (self.config.get("question_map") or {}).items()}
        match = _FORM_ID.search(form_urn or "")
        if match is None:
            return explicit
        form_id = match.group(1)
        if form_id not in self._questions:
            questions: dict[str, str] = {}
            try:
                response = await self.http.request(
                    "GET", f"{self._base}/leadForms/{form_id}", headers=self._headers
                )
                for question in get_path(response.json(), "content.questions") or []:
                    column = PREDEFINED_FIELDS.get(str(question.get("predefinedField")))
                    if column is not None:
                        questions[str(question.get("questionId"))] = column
            except PermanentError as exc:
                if type(exc) is not PermanentError:  # auth failures still stop the job
                    raise
            self._questions[form_id] = questions
        return {**self._questions[form_id], **explicit}

    async def check(self) -> tuple[bool, str]:
        response = await self.http.request("GET", self._responses_url(0, 1), headers=self._headers)
        total = get_path(response.json(), "paging.total")
        return True, f"LinkedIn Lead Sync reachable: {total if total is not None else '?'} leads"

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        start = int((cursor or {}).get("start", 0))
        count = max(1, min(batch_size, MAX_PAGE_SIZE))
        response = await self.http.request(
            "GET", self._responses_url(start, count), headers=self._headers
        )
        document = response.json()
        elements = document.get("elements") or []
        total = get_path(document, "paging.total")
        # Each form's questions are read once (and cached) before mapping the page.
        forms = {
            element.get("versionedLeadGenFormUrn")
            for element in elements
            if isinstance(element, Mapping)
        }
        questions = {form: await self._form_questions(form) for form in forms}
        leads, raw, rejected = map_json_items(
            elements,
            start,
            "lead form response",
            lambda element: response_to_lead(
                element, questions[element.get("versionedLeadGenFormUrn")]
            ),
        )
        if self.credentials.get("pdl_api_key"):
            for lead in leads:
                await self._enrich(lead)
        seen = start + len(elements)
        exhausted = (
            not elements or len(elements) < count or (isinstance(total, int) and seen >= total)
        )
        return Batch(
            records=leads,
            raw=raw,
            rejected=rejected,
            next_cursor=None if exhausted else {"start": seen},
            total_estimate=total if isinstance(total, int) else None,
        )

    async def _enrich(self, lead: dict[str, Any]) -> None:
        """People Data Labs by LinkedIn URL: fill empty fields; 404 is no match."""
        if not lead.get("linkedin_url"):
            return
        response = await self.http.request(
            "GET",
            str(self.config.get("pdl_url", PDL_URL)),
            headers={"X-Api-Key": str(self.credentials["pdl_api_key"])},
            params={"profile": lead["linkedin_url"]},
            accept_statuses=(404,),
        )
        if response.status_code == 404:
            return
        data = response.json().get("data")
        if isinstance(data, Mapping):
            fill_empty(lead, pdl_to_lead(data))
            lead["metadata"]["enriched_by"] = "peopledatalabs"


def response_to_lead(element: Mapping[str, Any], questions: Mapping[str, str]) -> dict[str, Any]:
    """A lead form response as a lead: answers to mapped questions become lead columns,
    the rest (and the response's identity) go to metadata."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for answer in get_path(element, "formResponse.answers") or []:
        column = questions.get(str(answer.get("questionId")))
        value = answer_text(answer)
        if column is not None and column not in fields:
            fields[column] = value
        elif value is not None:
            extra[f"question_{answer.get('questionId')}"] = value
    return lead_record(
        fields,
        metadata={
            "linkedin_lead_id": element.get("id"),
            "lead_type": element.get("leadType"),
            "form": element.get("versionedLeadGenFormUrn"),
            "submitted_at": element.get("submittedAt"),
            "test_lead": element.get("testLead"),
            **extra,
        },
    )
