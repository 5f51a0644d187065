"""Helpers for connector tests: run a connector to the end, or one fetch."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from functions_py.connectors.base import Batch, Connector


def run_fetch(
    connector: Connector,
    criteria: Mapping[str, Any] | None = None,
    cursor: Mapping[str, Any] | None = None,
    batch_size: int = 100,
) -> Batch:
    async def run() -> Batch:
        try:
            return await connector.fetch(criteria or {}, cursor, batch_size=batch_size)
        finally:
            await connector.aclose()

    return asyncio.run(run())


def run_all(
    connector: Connector, criteria: Mapping[str, Any] | None = None, batch_size: int = 100
) -> list[Batch]:
    async def run() -> list[Batch]:
        batches: list[Batch] = []
        cursor: Mapping[str, Any] | None = None
        try:
            while True:
                batch = await connector.fetch(criteria or {}, cursor, batch_size=batch_size)
                batches.append(batch)
                if batch.next_cursor is None or len(batches) > 50:
                    return batches
                cursor = batch.next_cursor
        finally:
            await connector.aclose()

    return asyncio.run(run())
