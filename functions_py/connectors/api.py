"""The ``api`` connector: any JSON REST API described by its config.

Config::

    {
      "base_url": "https://crm.example.com/api/contacts",
      "method": "GET",                           # or POST (search criteria go to the body)
      "headers": {...}, "params": {...}, "body": {...},
      "auth": {"type": "bearer"}                 # credentials["token"]
            | {"type": "header", "name": "X-Api-Key"}   # credentials["api_key"]
            | {"type": "basic"},                 # credentials["username"], ["password"]
      "pagination": {"type": "page", "param": "page", "size_param": "per_page", "start": 1}
                  | {"type": "offset", "offset_param": "offset", "limit_param": "limit"}
                  | {"type": "cursor", "cursor_path": "meta.next", "param": "cursor",
                     "size_param"?: "limit"}
                  | {"type": "link", "size_param"?: "per_page"}    # RFC 5988 Link: rel="next"
                  | {"type": "none"},
      "records_path": "data.items",              # dotted path to the list of records
      "mapping": {"email": "contact.email", "company": "org.name", ...},
      "total_path"?: "meta.total"
    }

``auth.credential`` names a different credentials key. Search criteria are merged into the
query (GET) or the body (POST), without the qualification rules (``title_keywords``...).
Unmapped record fields are not copied; the raw record is archived whole. One request per
``fetch``; the page size is ``batch_size``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin

import httpx

from functions_py.connectors.base import Batch, Connector, map_json_items
from functions_py.connectors.errors import ConnectorConfigError, PermanentError
from functions_py.connectors.fields import LEAD_COLUMNS, get_path, lead_record, provider_criteria

PAGINATION_TYPES = ("page", "offset", "cursor", "link", "none")


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` target of an RFC 5988 ``Link`` header."""
    if not header:
        return None
    for part in header.split(","):
        if ";" not in part:
            continue
        target, _, params = part.partition(";")
        rels = [
            p.split("=", 1)[1].strip().strip('"')
            for p in params.split(";")
            if p.strip().lower().startswith("rel=")
        ]
        if any("next" in rel.lower().split() for rel in rels):
            return target.strip().lstrip("<").rstrip(">")
    return None


class ApiConnector(Connector):
    """A configured REST API; see the module docstring."""

    type: ClassVar[str] = "api"

    def validate(self) -> None:
        base = self.config.get("base_url")
        if not isinstance(base, str) or not base.startswith(("http://", "https://")):
            raise ConnectorConfigError("base_url", "must be an http(s) URL")
        if self._method not in ("GET", "POST", "PUT"):
            raise ConnectorConfigError("method", "must be GET or POST")
        auth = self._auth_spec
        if not isinstance(auth, Mapping) or auth.get("type") not in (
            "none",
            "header",
            "bearer",
            "basic",
        ):
            raise ConnectorConfigError("auth.type", "must be header, bearer, basic or none")
        if auth.get("type") == "header" and not auth.get("name"):
            raise ConnectorConfigError("auth.name", "the header to send the key in")
        pagination = self._pagination
        if not isinstance(pagination, Mapping) or pagination.get("type") not in PAGINATION_TYPES:
            raise ConnectorConfigError("pagination.type", f"must be one of {PAGINATION_TYPES}")
        if pagination["type"] == "cursor" and not pagination.get("cursor_path"):
            raise ConnectorConfigError("pagination.cursor_path", "where the next cursor is")
        mapping = self.config.get("mapping")
        if not isinstance(mapping, Mapping) or not mapping:
            raise ConnectorConfigError("mapping", "must map lead columns to record paths")
        for column, path in mapping.items():
            if column not in LEAD_COLUMNS:
                raise ConnectorConfigError(f"mapping.{column}", "is not a lead column")
            if not isinstance(path, str) or not path:
                raise ConnectorConfigError(f"mapping.{column}", "must be a dotted path")
        for key in ("headers", "params", "body"):
            if self.config.get(key) is not None and not isinstance(self.config[key], Mapping):
                raise ConnectorConfigError(key, "must be an object")

    # -- request building ---------------------------------------------------------------
    def _secret(self, key: str) -> str:
        value = self.credentials.get(key)
        if not isinstance(value, str) or not value:
            raise ConnectorConfigError(f"credentials.{key}", "missing")
        return value

    def _auth(self) -> tuple[dict[str, str], httpx.BasicAuth | None]:
        auth = self._auth_spec
        kind = auth["type"]
        if kind == "bearer":
            return {
                "Authorization": f"Bearer {self._secret(auth.get('credential', 'token'))}"
            }, None
        if kind == "header":
            return {str(auth["name"]): self._secret(auth.get("credential", "api_key"))}, None
        if kind == "basic":
            user = self._secret(auth.get("username_credential", "username"))
            password = self._secret(auth.get("password_credential", "password"))
            return {}, httpx.BasicAuth(user, password)
        return {}, None

    @property
    def _method(self) -> str:
        return str(self.config.get("method", "GET")).upper()

    @property
    def _auth_spec(self) -> Mapping[str, Any]:
        return self.config.get("auth") or {"type": "none"}

    @property
    def _pagination(self) -> Mapping[str, Any]:
        return self.config.get("pagination") or {"type": "none"}

    async def _request(
        self, criteria: Mapping[str, Any], cursor: Mapping[str, Any] | None, size: int
    ) -> httpx.Response:
        method = self._method
        headers = {"Accept": "application/json", **(self.config.get("headers") or {})}
        auth_headers, basic = self._auth()
        headers.update(auth_headers)
        params: dict[str, Any] = dict(self.config.get("params") or {})
        body: dict[str, Any] = dict(self.config.get("body") or {})
        criteria_target = params if method == "GET" else body
        criteria_target.update(provider_criteria(criteria))
        paging = self._pagination
        kind = paging["type"]
        url = self.config["base_url"]
        if kind == "page":
            params[paging.get("param", "page")] = (cursor or {}).get("page", paging.get("start", 1))
            params[paging.get("size_param", "per_page")] = size
        elif kind == "offset":
            params[paging.get("offset_param", "offset")] = (cursor or {}).get("offset", 0)
            params[paging.get("limit_param", "limit")] = size
        elif kind == "cursor":
            if cursor and cursor.get("cursor") is not None:
                params[paging.get("param", "cursor")] = cursor["cursor"]
            if paging.get("size_param"):
                params[paging["size_param"]] = size
        elif kind == "link":
            if cursor and cursor.get("url"):
                # The next link carries its own query string.
                url, params = urljoin(url, cursor["url"]), {}
            elif paging.get("size_param"):
                params[paging["size_param"]] = size
        return await self.http.request(
            method,
            url,
            headers=headers,
            params=params or None,
            json=body if method != "GET" and body else None,
            auth=basic,
        )

    # -- Connector ------------------------------------------------------------------------
    async def check(self) -> tuple[bool, str]:
        response = await self._request({}, None, 1)
        records = self._records(self._document(response))
        return (
            True,
            f"reached {self.config['base_url']}: {len(records)} record(s) on the first page",
        )

    def _document(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PermanentError(f"{self.type}: the response is not JSON") from None

    def _records(self, document: Any) -> list[Any]:
        records = get_path(document, self.config.get("records_path"))
        if records is None:
            return []
        if not isinstance(records, list):
            raise PermanentError(
                f"{self.type}: records_path {self.config.get('records_path')!r} is not a list"
            )
        return records

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        size = max(1, batch_size)
        response = await self._request(search_criteria, cursor, size)
        document = self._document(response)  # parsed once: records, total and cursor
        records = self._records(document)
        total_path = self.config.get("total_path")
        total = get_path(document, total_path) if total_path else None
        total = int(total) if isinstance(total, int | float) else None
        position = int((cursor or {}).get("position", 0))
        mapping: Mapping[str, str] = self.config["mapping"]
        leads, raw, rejected = map_json_items(
            records,
            position,
            "record",
            lambda record: lead_record(
                {column: get_path(record, path) for column, path in mapping.items()}
            ),
        )
        seen = position + len(records)
        return Batch(
            records=leads,
            raw=raw,
            rejected=rejected,
            next_cursor=self._next_cursor(response, document, cursor, records, size, seen, total),
            total_estimate=total,
        )

    def _next_cursor(
        self,
        response: httpx.Response,
        document: Any,
        cursor: Mapping[str, Any] | None,
        records: list[Any],
        size: int,
        seen: int,
        total: int | None,
    ) -> dict[str, Any] | None:
        paging = self._pagination
        kind = paging["type"]
        if kind == "none" or not records or (total is not None and seen >= total):
            return None
        if kind == "page":
            if len(records) < size:
                return None
            page = int((cursor or {}).get("page", paging.get("start", 1)))
            return {"page": page + 1, "position": seen}
        if kind == "offset":
            if len(records) < size:
                return None
            return {"offset": int((cursor or {}).get("offset", 0)) + len(records), "position": seen}
        if kind == "cursor":
            token = get_path(document, paging["cursor_path"])
            if token in (None, "") or token == (cursor or {}).get("cursor"):
                return None
            return {"cursor": token, "position": seen}
        link = next_link(response.headers.get("link"))
        if not link:
            return None
        return {"url": urljoin(str(response.request.url), link), "position": seen}
