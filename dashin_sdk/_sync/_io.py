"""The sync twins of ``dashin_sdk/_async/_io.py`` (written by hand, not generated)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from websockets.sync.client import ClientConnection, connect

T = TypeVar("T")
Lock = threading.Lock


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def connect_websocket(url: str, *, timeout: float) -> ClientConnection:
    return connect(url, open_timeout=timeout, close_timeout=1, max_size=2**22)


def receive(ws: ClientConnection, timeout: float) -> str | None:
    """The next text frame, or ``None`` when nothing arrived within ``timeout``."""
    try:
        message: Any = ws.recv(timeout=timeout)
    except TimeoutError:
        return None
    return message if isinstance(message, str) else message.decode("utf-8")


def send(ws: ClientConnection, text: str) -> None:
    ws.send(text)


def close(ws: ClientConnection) -> None:
    ws.close()


def run_blocking(function: Callable[..., T], *args: Any) -> T:
    return function(*args)
