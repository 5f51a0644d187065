"""The ``apollo`` connector: Apollo.io People API Search, optionally enriched by bulk match.

Credentials: ``api_key`` (sent as ``x-api-key``) or ``access_token`` (OAuth, ``Authorization:
Bearer``). Config: ``base_url``? (default ``https://api.apollo.io``), ``enrich``? (bool: call
``people/bulk_match`` for emails/phones, which the search never returns),
``reveal_personal_emails``? (bool).

Search criteria are Apollo's own parameters (``person_titles``, ``person_locations``,
``q_keywords``, ``person_seniorities``, ``q_organization_domains_list``,
``organization_num_employees_ranges``...) or the generic keys ``titles``, ``keywords``,
``locations``, ``seniorities``, ``domains``. Apollo serves at most 500 pages per search; the
cursor is ``{"page": n}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from functions_py.connectors.base import Batch, Connector, map_json_items
from functions_py.connectors.errors import ConnectorConfigError
from functions_py.connectors.fields import fill_empty, get_path, lead_record, provider_criteria

DEFAULT_BASE_URL = "https://api.apollo.io"
SEARCH_PATH = "/api/v1/mixed_people/api_search"
BULK_MATCH_PATH = "/api/v1/people/bulk_match"
MAX_PAGE_SIZE = 100
MAX_PAGES = 500
BULK_MATCH_SIZE = 10

GENERIC_CRITERIA = {
    "titles": "person_titles",
    "keywords": "q_keywords",
    "locations": "person_locations",
    "seniorities": "person_seniorities",
    "domains": "q_organization_domains_list",
    "organization_locations": "organization_locations",
    "employee_ranges": "organization_num_employees_ranges",
}
#: Apollo puts this in place of an email it has not revealed.
PLACEHOLDER_EMAIL_PREFIX = "email_not_unlocked@"


def search_body(criteria: Mapping[str, Any]) -> dict[str, Any]:
    """Apollo search parameters from search criteria (generic keys translated)."""
    body: dict[str, Any] = {}
    for key, value in provider_criteria(criteria).items():
        name = GENERIC_CRITERIA.get(key, key)
        if name.endswith("[]"):
            name = name[:-2]
        body[name] = value
    return body


def person_to_lead(person: Mapping[str, Any]) -> dict[str, Any]:
    """A search or match ``person`` as a lead record."""
    organization = person.get("organization") or {}
    email = person.get("email")
    if isinstance(email, str) and email.startswith(PLACEHOLDER_EMAIL_PREFIX):
        email = None
    phone = get_path(person, "phone_numbers.0.sanitized_number") or person.get("phone")
    return lead_record(
        {
            "email": email,
            "first_name": person.get("first_name"),
            "last_name": person.get("last_name"),
            "company": organization.get("name") or person.get("organization_name"),
            "title": person.get("title"),
            "linkedin_url": person.get("linkedin_url"),
            "phone": phone,
        },
        metadata={
            "apollo_id": person.get("id"),
            "last_name_obfuscated": person.get("last_name_obfuscated")
            if not person.get("last_name")
            else None,
            "company_website": organization.get("website_url"),
            "has_email": person.get("has_email"),
            "has_direct_phone": person.get("has_direct_phone"),
        },
    )


class ApolloConnector(Connector):
    """Apollo.io people search; see the module docstring."""

    type: ClassVar[str] = "apollo"
    default_base_url = DEFAULT_BASE_URL

    def validate(self) -> None:
        if not (self.credentials.get("api_key") or self.credentials.get("access_token")):
            raise ConnectorConfigError("credentials.api_key", "an Apollo API key is required")
        base = self.config.get("base_url", DEFAULT_BASE_URL)
        if not isinstance(base, str) or not base.startswith("http"):
            raise ConnectorConfigError("base_url", "must be an http(s) URL")

    @property
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.credentials.get("api_key"):
            headers["x-api-key"] = str(self.credentials["api_key"])
        else:
            headers["Authorization"] = f"Bearer {self.credentials['access_token']}"
        return headers

    async def _search(self, criteria: Mapping[str, Any], page: int, size: int) -> dict[str, Any]:
        body = {**search_body(criteria), "page": page, "per_page": size}
        response = await self.http.request(
            "POST", self._base + SEARCH_PATH, headers=self._headers, json=body
        )
        document = response.json()
        return document if isinstance(document, dict) else {}

    async def check(self) -> tuple[bool, str]:
        document = await self._search({}, 1, 1)
        return True, f"Apollo reachable: {_total_entries(document) or 0} people searchable"

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        page = int((cursor or {}).get("page", 1))
        size = max(1, min(batch_size, MAX_PAGE_SIZE))
        document = await self._search(search_criteria, page, size)
        people = document.get("people") or []
        position = (page - 1) * size
        leads, raw, rejected = map_json_items(people, position, "person", person_to_lead)
        if self.config.get("enrich") and raw:
            await self._enrich(raw, leads)
        total = _total_entries(document)
        total_pages = _total_pages(document, size)
        exhausted = (
            not people
            or len(people) < size
            or page >= MAX_PAGES
            or (total_pages is not None and page >= total_pages)
        )
        return Batch(
            records=leads,
            raw=raw,
            rejected=rejected,
            next_cursor=None if exhausted else {"page": page + 1},
            total_estimate=min(total, MAX_PAGES * size) if total is not None else None,
        )

    async def _enrich(self, people: list[dict[str, Any]], leads: list[dict[str, Any]]) -> None:
        """Fill empty fields from ``people/bulk_match`` (10 per call; null = no match)."""
        for start in range(0, len(people), BULK_MATCH_SIZE):
            chunk = people[start : start + BULK_MATCH_SIZE]
            body = {
                "details": [
                    {"id": p.get("id")} if p.get("id") else {"linkedin_url": p.get("linkedin_url")}
                    for p in chunk
                ],
                "reveal_personal_emails": bool(self.config.get("reveal_personal_emails", False)),
            }
            response = await self.http.request(
                "POST", self._base + BULK_MATCH_PATH, headers=self._headers, json=body
            )
            matches = (response.json() or {}).get("matches") or []
            for offset, match in enumerate(matches[: len(chunk)]):
                if isinstance(match, Mapping):
                    fill_empty(leads[start + offset], person_to_lead(match))


def _total_entries(document: Mapping[str, Any]) -> int | None:
    # Documented both inside `pagination` and at the top level.
    for value in (get_path(document, "pagination.total_entries"), document.get("total_entries")):
        if isinstance(value, int):
            return value
    return None


def _total_pages(document: Mapping[str, Any], size: int) -> int | None:
    pages = get_path(document, "pagination.total_pages")
    if isinstance(pages, int):
        return pages
    total = _total_entries(document)
    return -(-total // size) if total is not None else None
