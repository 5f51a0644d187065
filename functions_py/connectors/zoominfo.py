"""The ``zoominfo`` connector: contact search on the Enterprise API or the GTM API.

Config ``api``: ``"enterprise"`` (default) or ``"gtm"``; ``base_url``? (default
``https://api.zoominfo.com``).

- Enterprise: credentials ``username`` + ``password`` -> ``POST /authenticate`` -> a JWT valid
  60 minutes, reused and refreshed after 55 (never one authentication per call); search
  ``POST /search/contact`` with ``rpp`` and ``page``.
- GTM: credentials ``access_token``, or ``client_id`` + ``client_secret`` with config
  ``token_url`` (OAuth 2.0 client credentials); search
  ``POST /gtm/data/v1/contacts/search?page[number]=N&page[size]=S`` with a JSON:API body.

Compliance flags (``directPhoneDoNotCall``, ``mobilePhoneDoNotCall``, ``withinEu``,
``withinCalifornia``) are kept in metadata. The cursor is ``{"page": n}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from functions_py.connectors.base import Batch, Connector, map_json_items
from functions_py.connectors.errors import AuthFailedError, ConnectorConfigError, PermanentError
from functions_py.connectors.fields import lead_record, provider_criteria

DEFAULT_BASE_URL = "https://api.zoominfo.com"
MAX_PAGE_SIZE = 100
TOKEN_REFRESH_AFTER = 55 * 60.0
COMPLIANCE_FLAGS = ("directPhoneDoNotCall", "mobilePhoneDoNotCall", "withinEu", "withinCalifornia")


def contact_to_lead(contact: Mapping[str, Any]) -> dict[str, Any]:
    """An Enterprise ``data[]`` item or GTM ``attributes`` as a lead record."""
    company = contact.get("company") or {}
    if not isinstance(company, Mapping):
        company = {"name": company}
    do_not_call = contact.get("directPhoneDoNotCall") is True
    return lead_record(
        {
            "email": contact.get("email"),
            "first_name": contact.get("firstName"),
            "last_name": contact.get("lastName"),
            "company": company.get("name") or contact.get("companyName"),
            "title": contact.get("jobTitle"),
            "linkedin_url": contact.get("linkedInUrl") or contact.get("linkedinUrl"),
            # A do-not-call number is not stored as the lead's phone.
            "phone": None if do_not_call else contact.get("phone") or contact.get("directPhone"),
        },
        metadata={
            "zoominfo_id": contact.get("id"),
            "zoominfo_company_id": company.get("id"),
            "contact_accuracy_score": contact.get("contactAccuracyScore"),
            "has_email": contact.get("hasEmail"),
            "has_direct_phone": contact.get("hasDirectPhone"),
            **{flag: contact.get(flag) for flag in COMPLIANCE_FLAGS},
        },
    )


class ZoomInfoConnector(Connector):
    """ZoomInfo contact search; see the module docstring."""

    type: ClassVar[str] = "zoominfo"
    default_base_url = DEFAULT_BASE_URL
    #: Injectable for tests of the token refresh.
    clock: Callable[[], float] = staticmethod(time.monotonic)

    _token: str | None = None
    _token_at: float = 0.0

    def validate(self) -> None:
        api = self._api
        if api not in ("enterprise", "gtm"):
            raise ConnectorConfigError("api", "must be 'enterprise' or 'gtm'")
        creds = self.credentials
        has_login = bool(creds.get("username") and creds.get("password"))
        if api == "enterprise" and not has_login and not creds.get("jwt"):
            raise ConnectorConfigError(
                "credentials.username", "ZoomInfo needs username and password"
            )
        if api == "gtm" and not creds.get("access_token"):
            if not (creds.get("client_id") and creds.get("client_secret")):
                raise ConnectorConfigError(
                    "credentials.client_id", "ZoomInfo GTM needs access_token or client credentials"
                )
            if not self.config.get("token_url"):
                raise ConnectorConfigError("token_url", "the OAuth token endpoint")

    @property
    def _api(self) -> Any:
        return self.config.get("api", "enterprise")

    @property
    def _gtm(self) -> bool:
        return bool(self._api == "gtm")

    async def _authenticate(self) -> str:
        if self._token is not None and self.clock() - self._token_at < TOKEN_REFRESH_AFTER:
            return self._token
        creds = self.credentials
        if self._gtm:
            if creds.get("access_token"):
                self._token = str(creds["access_token"])
            else:
                response = await self.http.request(
                    "POST",
                    str(self.config["token_url"]),
                    data={
                        "grant_type": "client_credentials",
                        "client_id": str(creds["client_id"]),
                        "client_secret": str(creds["client_secret"]),
                    },
                )
                self._token = _required(response.json(), "access_token")
        elif creds.get("jwt") and not creds.get("username"):
            self._token = str(creds["jwt"])
        else:
            response = await self.http.request(
                "POST",
                self._base + "/authenticate",
                json={"username": creds["username"], "password": creds["password"]},
            )
            self._token = _required(response.json(), "jwt")
        self._token_at = self.clock()
        return self._token

    async def _search(
        self, criteria: Mapping[str, Any], page: int, size: int
    ) -> tuple[list[Any], int | None]:
        criteria = provider_criteria(criteria)
        for attempt in (1, 2):
            token = await self._authenticate()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                if self._gtm:
                    headers["Content-Type"] = "application/vnd.api+json"
                    response = await self.http.request(
                        "POST",
                        self._base + "/gtm/data/v1/contacts/search",
                        headers=headers,
                        params={"page[number]": page, "page[size]": size},
                        json={"data": {"type": "ContactSearch", "attributes": dict(criteria)}},
                    )
                    document = response.json()
                    items = [
                        {**(item.get("attributes") or {}), "id": item.get("id")}
                        if isinstance(item, Mapping)
                        else item
                        for item in document.get("data") or []
                    ]
                    meta = document.get("meta") or {}
                    total = meta.get("totalResults")
                else:
                    response = await self.http.request(
                        "POST",
                        self._base + "/search/contact",
                        headers=headers,
                        json={**criteria, "rpp": size, "page": page},
                    )
                    document = response.json()
                    items = list(document.get("data") or [])
                    total = document.get("totalResults")
            except AuthFailedError:
                # An expired token looks like bad credentials: authenticate again once.
                if attempt == 2 or self._token is None:
                    raise
                self._token = None
                continue
            return items, total if isinstance(total, int) else None
        raise AssertionError("unreachable")

    async def check(self) -> tuple[bool, str]:
        _, total = await self._search({}, 1, 1)
        return True, f"ZoomInfo reachable: {total if total is not None else 'unknown'} contacts"

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        page = int((cursor or {}).get("page", 1))
        size = max(1, min(batch_size, MAX_PAGE_SIZE))
        items, total = await self._search(search_criteria, page, size)
        position = (page - 1) * size
        leads, raw, rejected = map_json_items(items, position, "contact", contact_to_lead)
        seen = position + len(items)
        exhausted = not items or len(items) < size or (total is not None and seen >= total)
        return Batch(
            records=leads,
            raw=raw,
            rejected=rejected,
            next_cursor=None if exhausted else {"page": page + 1},
            total_estimate=total,
        )


def _required(document: Any, key: str) -> str:
    value = document.get(key) if isinstance(document, Mapping) else None
    if not isinstance(value, str) or not value:
        raise PermanentError(f"ZoomInfo authentication returned no {key}")
    return value
