"""Connectors for the worker tests, loaded by the ``custom`` data source type.

They are the real CSV connector with a knob each: a pace (so a job runs long enough to be
interrupted half way), a transient failure once, a permanent failure at a given line.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from functions_py.connectors.base import Batch
from functions_py.connectors.csv_source import CsvConnector
from functions_py.connectors.errors import AuthFailedError, PermanentError, TransientError


class PacedCsv(CsvConnector):
    """Waits ``pace_seconds`` before each batch."""

    def validate(self) -> None:
        super().validate()
        self.pace = float(self.config.get("pace_seconds", 0))

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        await asyncio.sleep(self.pace)
        return await super().fetch(search_criteria, cursor, batch_size=batch_size)


class FlakyCsv(PacedCsv):
    """Fails with a TransientError on its second batch, once (``marker`` remembers it).

    With ``retry_after`` (seconds) the failure is a rate limit that said when to come back.
    """

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        marker = Path(self.config["marker"])
        if cursor is not None and not marker.exists():
            marker.write_text("failed once")
            wait = self.config.get("retry_after")
            raise TransientError(
                "provider answered 503 (test)",
                retry_after=None if wait is None else float(wait),
            )
        return await super().fetch(search_criteria, cursor, batch_size=batch_size)


class BrokenCsv(PacedCsv):
    """Fails with a PermanentError once the file is read past ``fail_after_line``."""

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        if cursor is not None and int(cursor.get("line", 0)) > int(self.config["fail_after_line"]):
            raise PermanentError("provider rejected the request: 400 bad query (test)")
        return await super().fetch(search_criteria, cursor, batch_size=batch_size)


class GuardedCsv(PacedCsv):
    """Reads the file only with the right ``token`` credential, else the provider says 401."""

    async def fetch(
        self,
        search_criteria: Mapping[str, Any],
        cursor: Mapping[str, Any] | None,
        *,
        batch_size: int,
    ) -> Batch:
        if self.credentials.get("token") != self.config["expected_token"]:
            raise AuthFailedError("provider refused the API token (HTTP 401)")
        return await super().fetch(search_criteria, cursor, batch_size=batch_size)
