"""The async primitives the generated sync twin (``dashin_sdk/_sync/_io.py``) replaces."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

T = TypeVar("T")
Lock = asyncio.Lock  # `async with Lock():` in the async tree, `with` in the sync one


async def sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def connect_websocket(url: str, *, timeout: float) -> ClientConnection:
    return await connect(url, open_timeout=timeout, close_timeout=1, max_size=2**22)


async def receive(ws: ClientConnection, timeout: float) -> str | None:
    """The next text frame, or ``None`` when nothing arrived within ``timeout``."""
    try:
        message: Any = await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return None
    return message if isinstance(message, str) else message.decode("utf-8")


async def send(ws: ClientConnection, text: str) -> None:
    await ws.send(text)


async def close(ws: ClientConnection) -> None:
    await ws.close()


async def run_blocking(function: Callable[..., T], *args: Any) -> T:
    """Run blocking code (a connector's test) without stalling the event loop."""
    return await asyncio.to_thread(function, *args)
