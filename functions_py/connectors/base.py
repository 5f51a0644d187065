"""The connector interface the worker drives: ``check`` a connection, ``fetch`` batches.

A connector turns one data source (a CSV file, a REST API, a provider) into batches of lead
records already mapped to lead columns, plus the raw source records (for the archive) and
the records it could not read. ``fetch`` is resumable: it takes the ``next_cursor`` of the
previous batch (as stored in the job checkpoint) and returns the batch after it.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from functions_py.connectors.errors import ConnectorError
from functions_py.connectors.http import HttpClient
from functions_py.connectors.ratelimit import RateLimiter


@dataclass(frozen=True)
class Rejected:
    """A source record that could not be read."""

    position: int  # CSV: 1-based line number; APIs: index in the source stream
    reason: str


@dataclass(frozen=True)
class Batch:
    """One ``fetch`` result."""

    records: list[dict[str, Any]]  # lead columns + metadata
    raw: list[dict[str, Any]]  # the source records of this batch, for the JSONL archive
    rejected: list[Rejected]
    next_cursor: dict[str, Any] | None  # None: the source is exhausted
    total_estimate: int | None  # records expected in all, when known


def map_json_items(
    items: Sequence[Any],
    start: int,
    what: str,
    to_lead: Callable[[Mapping[str, Any]], dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Rejected]]:
    """``(leads, raw, rejected)`` for a page of a provider's JSON items.

    Each JSON object is mapped to a lead and kept raw for the archive; anything else is
    rejected at its position in the source stream (``start`` is the page's first position).
    """
    leads: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    rejected: list[Rejected] = []
    for index, item in enumerate(items, start=start):
        if not isinstance(item, Mapping):
            rejected.append(Rejected(index, f"{what} is not a JSON object"))
            continue
        raw.append(dict(item))
        leads.append(to_lead(item))
    return leads, raw, rejected


class Connector(abc.ABC):
    """Base class of every data source connector.

    ``http`` (shared connection pool) and ``limiter`` (shared per data source) are optional;
    without ``http`` the connector opens its own client, closed by ``aclose``.
    """

    type: ClassVar[str]
    # The provider's API root; ``config["base_url"]`` overrides it (tests, proxies).
    default_base_url: ClassVar[str] = ""

    def __init__(
        self,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any] | None,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config: dict[str, Any] = dict(config)
        self.credentials: dict[str, Any] = dict(credentials or {})
        self.limiter = limiter
        self._client = http
        self._http: HttpClient | None = None
        self.validate()

    def validate(self) -> None:  # noqa: B027 - optional hook
        """Raise ``ConnectorConfigError`` for a bad config (called by ``__init__``)."""

    @property
    def _base(self) -> str:
        return str(self.config.get("base_url", self.default_base_url)).rstrip("/")

    @property
    def http(self) -> HttpClient:
        """The retrying, rate-limited HTTP helper (created on first use)."""
        if self._http is None:
            self._http = HttpClient(
                self._client,
                self.limiter,
                provider=self.type,
                secrets=[str(v) for v in self.credentials.values() if isinstance(v, str)],
            )
        return self._http

    @abc.abstractmethod
    async def check(self) -> tuple[bool, str]:
        """Test the connection: ``(True, what was reached)`` or ``(False, why not)``."""

    @abc.abstractmethod
    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        """The batch after ``cursor`` (``None``: from the start), at most ``batch_size`` records."""

    async def aclose(self) -> None:
        """Release what the connector opened (its own HTTP client, temporary files)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def _check_and_close(self) -> tuple[bool, str]:
        try:
            return await self.check()
        except ConnectorError as exc:
            return False, str(exc)
        finally:
            await self.aclose()

    def test_connection(self) -> tuple[bool, str]:
        """Synchronous ``check`` (runs its own event loop in the calling thread)."""
        return asyncio.run(self._check_and_close())
