"""Supabase Auth over HTTP: sign in/out, per-client sessions, token refresh, key identity."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from dashin_sdk.auth_session import is_expired_jwt, key_identity
from dashin_sdk.errors import AuthenticationError, ConnectionError, RateLimitError
from dashin_sdk.identity import Identity
from dashin_sdk.models.tables import UserProfile
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A, ADMIN_B, AGENCY_A, AGENCY_B
from tests.unit.sdk_http.harness import Harness, params, sent

LEADS = "/rest/v1/leads"


def get_lead(dx: Any) -> Any:
    return dx.leads.get(pg.LEAD_ID)


def test_sign_in_uses_the_password_grant_and_then_the_users_token(h: Harness) -> None:
    dx = h.client()
    assert dx.identity.role == "anon"
    token = h.api.post("/auth/v1/token").mock(
        return_value=httpx.Response(200, json=pg.gotrue_session(ADMIN_A))
    )
    h.api.get("/rest/v1/user_profiles").mock(return_value=pg.rows([pg.user_profile(ADMIN_A)]))
    profile = h.call(dx, lambda c: c.auth.sign_in_with_password("admin@demo.dashin.test", "pw"))
    assert isinstance(profile, UserProfile)
    assert str(profile.id) == ADMIN_A
    assert dx.identity == Identity.user(profile.id)
    request = sent(token)
    assert params(request) == [("grant_type", "password")]
    assert json.loads(request.content)["email"] == "admin@demo.dashin.test"
    assert json.loads(request.content)["password"] == "pw"
    assert request.headers["apikey"] == pg.ANON_KEY

    leads = h.api.get(LEADS).mock(return_value=pg.rows([pg.lead()]))
    h.call(dx, get_lead)
    headers = sent(leads).headers
    assert headers["Authorization"] == f"Bearer {pg.user_token(ADMIN_A)}"
    assert headers["apikey"] == pg.ANON_KEY
    assert headers["X-Client-Info"].startswith("dashin-sdk/")
    assert headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("response", "expected", "code"),
    [
        (
            pg.gotrue_error(400, "invalid_credentials", "Invalid login credentials"),
            AuthenticationError,
            "invalid_credentials",
        ),
        (
            pg.gotrue_error(400, "email_not_confirmed", "Email not confirmed"),
            AuthenticationError,
            "email_not_confirmed",
        ),
        (
            pg.gotrue_error(429, "over_request_rate_limit", "Request rate limit reached"),
            RateLimitError,
            "over_request_rate_limit",
        ),
    ],
)
def test_sign_in_failures_are_typed_and_keep_the_key_identity(
    h: Harness, response: httpx.Response, expected: type[Exception], code: str
) -> None:
    dx = h.client()
    h.api.post("/auth/v1/token").mock(return_value=response)
    with pytest.raises(expected) as caught:
        h.call(dx, lambda c: c.auth.sign_in_with_password("admin@demo.dashin.test", "wrong"))
    assert getattr(caught.value, "code", None) == code
    assert dx.identity.role == "anon"


def test_sign_in_when_auth_is_unreachable(h: Harness) -> None:
    dx = h.client()
    h.api.post("/auth/v1/token").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ConnectionError):
        h.call(dx, lambda c: c.auth.sign_in_with_password("admin@demo.dashin.test", "pw"))


@pytest.mark.parametrize("logout_status", [204, 500])
def test_sign_out_revokes_best_effort_and_returns_to_the_key(
    h: Harness, logout_status: int
) -> None:
    dx = h.signed_in(ADMIN_A)
    logout = h.api.post("/auth/v1/logout").mock(return_value=httpx.Response(logout_status))
    h.call(dx, lambda c: c.auth.sign_out())
    assert params(sent(logout)) == [("scope", "local")]
    assert sent(logout).headers["Authorization"] == f"Bearer {pg.user_token(ADMIN_A)}"
    assert dx.identity.role == "anon"
    leads = h.api.get(LEADS).mock(return_value=pg.rows([pg.lead()]))
    h.call(dx, get_lead)
    assert sent(leads).headers["Authorization"] == f"Bearer {pg.ANON_KEY}"
    with pytest.raises(AuthenticationError):
        h.call(dx, lambda c: c.auth.current_user())


def test_two_clients_signed_in_as_different_users_send_their_own_tokens(h: Harness) -> None:
    a = h.signed_in(ADMIN_A)
    b = h.signed_in(ADMIN_B)  # signs in after a: must not switch a's user
    leads = h.api.get(LEADS).mock(return_value=pg.rows([pg.lead()]))
    for dx in (a, b, a, b):
        h.call(dx, get_lead)
    tokens = [call.request.headers["Authorization"] for call in leads.calls]
    token_a, token_b = f"Bearer {pg.user_token(ADMIN_A)}", f"Bearer {pg.user_token(ADMIN_B)}"
    assert tokens == [token_a, token_b, token_a, token_b]
    assert (a.identity.user_id, b.identity.user_id) != (None, None)
    assert a.identity != b.identity


def test_caller_is_read_once_per_sign_in(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    profiles = h.api.routes["profiles"]
    h.api.get("/rest/v1/campaigns").mock(return_value=pg.rows([], total=0))
    h.call(dx, lambda c: c.campaigns.list())
    h.call(dx, lambda c: c.campaigns.list())
    assert profiles.call_count == 1
    assert params(sent(profiles)) == [("select", "agency_id,role"), ("id", f"eq.{ADMIN_A}")]
    campaigns = h.api.routes[-1]
    assert ("agency_id", f"eq.{AGENCY_A}") in params(sent(campaigns))


def test_refresh_before_a_token_expires(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A, expires_in=3600)
    later = time.time() + 3600 - 30  # 59 minutes 30 later: inside the 60 s margin
    dx._backend.clock = lambda: later
    refreshed = pg.gotrue_session(
        ADMIN_A,
        access_token=pg.user_token(ADMIN_A, generation=2),
        refresh_token="refresh-2",
        issued_at=later,
    )
    refresh = h.api.post("/auth/v1/token", params={"grant_type": "refresh_token"}).mock(
        return_value=httpx.Response(200, json=refreshed)
    )
    leads = h.api.get(LEADS).mock(return_value=pg.rows([pg.lead()]))
    h.call(dx, get_lead)
    h.call(dx, get_lead)
    assert refresh.call_count == 1  # the new token lasts an hour
    assert json.loads(sent(refresh).content) == {"refresh_token": "refresh-1"}
    expected = f"Bearer {pg.user_token(ADMIN_A, generation=2)}"
    assert [c.request.headers["Authorization"] for c in leads.calls] == [expected, expected]


def test_a_401_expired_jwt_refreshes_once_and_repeats_the_request(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    refresh = h.api.post("/auth/v1/token", params={"grant_type": "refresh_token"}).mock(
        return_value=httpx.Response(
            200,
            json=pg.gotrue_session(ADMIN_A, access_token=pg.user_token(ADMIN_A, generation=2)),
        )
    )
    update = h.api.patch(LEADS).mock(
        side_effect=[pg.error(401, "PGRST301", "JWT expired"), pg.rows([pg.lead(title="CTO")])]
    )
    lead = h.call(dx, lambda c: c.leads.update(pg.LEAD_ID, title="CTO"))
    assert lead.title == "CTO"
    assert refresh.call_count == 1
    first, second = (c.request.headers["Authorization"] for c in update.calls)
    assert first == f"Bearer {pg.user_token(ADMIN_A)}"
    assert second == f"Bearer {pg.user_token(ADMIN_A, generation=2)}"


def test_a_401_that_survives_a_refresh_is_an_authentication_error(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    refresh = h.api.post("/auth/v1/token", params={"grant_type": "refresh_token"}).mock(
        return_value=httpx.Response(200, json=pg.gotrue_session(ADMIN_A))
    )
    route = h.api.get(LEADS).mock(return_value=pg.error(401, "PGRST303", "JWT expired"))
    with pytest.raises(AuthenticationError):
        h.call(dx, get_lead)
    assert (refresh.call_count, route.call_count) == (1, 2)


def test_a_rejected_refresh_token_is_an_authentication_error(h: Harness) -> None:
    dx = h.signed_in(ADMIN_A)
    later = time.time() + 3600
    dx._backend.clock = lambda: later
    h.api.post("/auth/v1/token", params={"grant_type": "refresh_token"}).mock(
        return_value=pg.gotrue_error(400, "refresh_token_not_found", "Invalid Refresh Token")
    )
    leads = h.api.get(LEADS)
    with pytest.raises(AuthenticationError) as caught:
        h.call(dx, get_lead)
    assert caught.value.code == "refresh_token_not_found"
    assert leads.call_count == 0


def test_a_401_without_a_session_is_not_refreshed(h: Harness) -> None:
    dx = h.client()
    token = h.api.post("/auth/v1/token")
    h.api.get(LEADS).mock(return_value=pg.error(401, "PGRST301", "JWT expired"))
    with pytest.raises(AuthenticationError):
        h.call(dx, get_lead)
    assert token.call_count == 0


@pytest.mark.parametrize(
    ("key", "role", "trusted"),
    [
        (pg.ANON_KEY, "anon", False),
        (pg.SERVICE_KEY, "service_role", True),
        ("sb_publishable_abc123", "anon", False),
        ("sb_secret_abc123", "service_role", True),
        ("not-a-jwt", "anon", False),
    ],
)
def test_the_key_decides_the_identity_and_trust(key: str, role: str, trusted: bool) -> None:
    identity, is_trusted = key_identity(key)
    assert (identity.role, identity.claims["role"], is_trusted) == (role, role, trusted)


def test_service_key_client_is_trusted_and_calls_as_service(h: Harness) -> None:
    dx = h.client(pg.SERVICE_KEY)
    assert dx.identity == Identity.service()
    assert dx._backend.trusted is True
    h.api.get("/rest/v1/campaigns").mock(return_value=pg.rows([], total=0))
    h.call(dx, lambda c: c.campaigns.list())  # no caller lookup, no agency filter
    assert h.api.routes[-1].call_count == 1
    assert [name for name, _ in params(sent(h.api.routes[-1]))] == [
        "select",
        "order",
        "limit",
    ]
    assert AGENCY_B not in str(sent(h.api.routes[-1]).url)


@pytest.mark.parametrize(
    ("status", "body", "expired"),
    [
        (401, {"code": "PGRST301", "message": "JWSError JWSInvalidSignature"}, True),
        (401, {"code": "PGRST303", "message": "JWT expired"}, True),
        (401, {"message": "JWT expired"}, True),
        (401, {"code": "42501", "message": "permission denied"}, False),
        (403, {"code": "PGRST301", "message": "JWT expired"}, False),
        (401, None, False),
    ],
)
def test_expired_jwt_detection(status: int, body: dict[str, str] | None, expired: bool) -> None:
    assert is_expired_jwt(status, body) is expired


def test_import_and_http_client_construction_do_not_load_supabase_py() -> None:
    code = (
        "import sys, dashin_sdk\n"
        "from dashin_sdk import Dashin\n"
        f"dx = Dashin(supabase_url={pg.URL!r}, supabase_key='sb_publishable_x')\n"
        "loaded = [m for m in ('supabase', 'supabase_auth', 'postgrest', 'realtime')"
        " if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "dx.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_concurrent_calls_refresh_an_expiring_token_once(h: Harness) -> None:
    """GoTrue rotates refresh tokens: a second refresh with the old one would be refused."""
    dx = h.signed_in(ADMIN_A, expires_in=3600)
    later = time.time() + 3600 - 30
    dx._backend.clock = lambda: later
    fresh = pg.gotrue_session(
        ADMIN_A, access_token=pg.user_token(ADMIN_A, generation=2), issued_at=later
    )

    def slow_refresh(request: httpx.Request) -> httpx.Response:
        time.sleep(0.05)  # long enough for every caller to find the token stale
        return httpx.Response(200, json=fresh)

    async def slow_refresh_async(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.05)
        return httpx.Response(200, json=fresh)

    refresh = h.api.post("/auth/v1/token", params={"grant_type": "refresh_token"}).mock(
        side_effect=slow_refresh_async if h.mode == "async" else slow_refresh
    )
    leads = h.api.get(LEADS).mock(return_value=pg.rows([pg.lead()]))
    if h.mode == "async":

        async def together() -> list[Any]:
            return list(await asyncio.gather(*(get_lead(dx) for _ in range(5))))

        results = h.run(together())
    else:
        with ThreadPoolExecutor(max_workers=5) as pool:
            results = list(pool.map(lambda _: get_lead(dx), range(5)))
    assert len(results) == 5
    assert refresh.call_count == 1
    expected = f"Bearer {pg.user_token(ADMIN_A, generation=2)}"
    assert {c.request.headers["Authorization"] for c in leads.calls} == {expected}
