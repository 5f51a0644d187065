"""Runs the same test against ``AsyncDashin`` and the generated sync ``Dashin``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, Callable, Iterable
from typing import Any

import httpx
import respx

from tests.support import postgrest as pg


class Harness:
    """Builds clients of one flavour (async or sync) and runs their calls to completion."""

    def __init__(self, mode: str, api: respx.MockRouter) -> None:
        self.mode = mode
        self.api = api
        self._loop = asyncio.new_event_loop() if mode == "async" else None
        self._clients: list[Any] = []

    def client(self, key: str = pg.ANON_KEY, **kwargs: Any) -> Any:
        from dashin_sdk import AsyncDashin, Dashin

        factory = AsyncDashin if self.mode == "async" else Dashin
        dx = factory(supabase_url=pg.URL, supabase_key=key, **kwargs)
        self._clients.append(dx)
        return dx

    def run(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            assert self._loop is not None
            return self._loop.run_until_complete(value)
        return value

    def call(self, dx: Any, action: Callable[[Any], Any]) -> Any:
        return self.run(action(dx))

    def collect(self, items: AsyncIterable[Any] | Iterable[Any]) -> list[Any]:
        if isinstance(items, AsyncIterable):

            async def gather() -> list[Any]:
                return [item async for item in items]

            result: list[Any] = self.run(gather())
            return result
        return list(items)

    def signed_in(
        self,
        user_id: str,
        *,
        key: str = pg.ANON_KEY,
        credentials_key: str | None = None,
        **session: Any,
    ) -> Any:
        """A client signed in as ``user_id`` through the doubled Auth; call history cleared."""
        dx = self.client(key, credentials_key=credentials_key)
        token = self.api.post(
            "/auth/v1/token", params={"grant_type": "password"}, name="password_grant"
        ).mock(return_value=httpx.Response(200, json=pg.gotrue_session(user_id, **session)))
        profile = self.api.get("/rest/v1/user_profiles", name="profiles").mock(
            side_effect=lambda request: profile_response(request, user_id)
        )
        self.call(dx, lambda c: c.auth.sign_in_with_password("admin@demo.dashin.test", "pw"))
        token.calls.clear()
        profile.calls.clear()
        return dx

    def close(self) -> None:
        for dx in self._clients:
            self.run(dx.close())
        if self._loop is not None:
            self._loop.close()


def profile_response(request: httpx.Request, user_id: str) -> httpx.Response:
    """``user_profiles`` as PostgREST answers both the caller lookup and ``current_user``."""
    row = pg.user_profile(user_id)
    columns = request.url.params["select"].split(",")
    return pg.rows([{column: row[column] for column in columns}])


def sent(route: respx.Route, index: int = -1) -> httpx.Request:
    """The request a route received (the last one by default)."""
    request: httpx.Request = route.calls[index].request
    return request


def params(request: httpx.Request) -> list[tuple[str, str]]:
    """The decoded query parameters, in order."""
    return list(request.url.params.multi_items())
