"""Supabase Auth pieces of the HTTP backend that need no network: keys, sessions, errors.

- The identity of a key is read from it without verifying anything (the server verifies): a
  JWT's ``role`` claim, or the prefix of the new-style keys (``sb_secret_`` / ``sb_publishable_``).
- A signed-in session is kept by the backend that signed in, never shared: two clients signed in
  as different users each send their own token (the complaint about supabase-py's shared client).
- Errors of ``supabase_auth`` (GoTrue) become the SDK's typed errors. ``supabase_auth`` is
  imported only inside the functions that need it, so ``import dashin_sdk`` stays cheap.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from dashin_sdk.errors import (
    AuthenticationError,
    ConnectionError,
    DashinError,
    ServerError,
    from_postgrest_body,
)
from dashin_sdk.identity import Identity

REFRESH_MARGIN = 60.0  # seconds: refresh a token that expires sooner than this
# PostgREST's codes for a JWT it refused; a refreshed token may be accepted.
_JWT_ERROR_CODES = frozenset({"PGRST301", "PGRST303"})
# GoTrue codes that mean "these credentials / this session are no good".
_AUTH_FAILURES = frozenset(
    {
        "invalid_credentials",
        "invalid_grant",
        "email_not_confirmed",
        "user_banned",
        "user_not_found",
        "session_not_found",
        "session_expired",
        "refresh_token_not_found",
        "refresh_token_already_used",
        "bad_jwt",
    }
)


@dataclass(frozen=True)
class AuthSession:
    """What the backend keeps of a signed-in user."""

    user_id: UUID
    access_token: str
    refresh_token: str
    expires_at: float | None  # unix seconds

    def expires_within(self, seconds: float, now: float) -> bool:
        return self.expires_at is not None and self.expires_at - now < seconds


def session_from_gotrue(session: Any) -> AuthSession:
    """An :class:`AuthSession` from ``supabase_auth.types.Session``."""
    return AuthSession(
        user_id=UUID(str(session.user.id)),
        access_token=str(session.access_token),
        refresh_token=str(session.refresh_token),
        expires_at=float(session.expires_at) if session.expires_at is not None else None,
    )


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, unverified; ``None`` if ``token`` is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def key_identity(key: str) -> tuple[Identity, bool]:
    """Who a Supabase key acts as, and whether it is trusted (may read credentials)."""
    if key.startswith("sb_secret_"):
        role = "service_role"
    elif key.startswith("sb_publishable_"):
        role = "anon"
    else:
        role = str((jwt_claims(key) or {}).get("role", "anon"))
    if role == "service_role":
        return Identity.service(), True
    return Identity(role="anon", claims={"role": "anon"}), False


def is_expired_jwt(status: int, body: Mapping[str, Any] | None) -> bool:
    """A 401 that a fresh access token would cure."""
    if status != 401 or not body:
        return False
    if body.get("code") in _JWT_ERROR_CODES:
        return True
    message = str(body.get("message") or body.get("msg") or "").lower()
    return "jwt expired" in message or "token is expired" in message


def from_auth_error(exc: Exception) -> DashinError:
    """The SDK error for a ``supabase_auth`` exception."""
    from supabase_auth.errors import AuthApiError, AuthRetryableError

    if isinstance(exc, AuthRetryableError):
        if exc.status == 0:  # httpx could not reach the server
            return ConnectionError(f"Supabase Auth unreachable: {exc.message}")
        return ServerError(exc.message, code=str(exc.code or exc.status), status=exc.status)
    if isinstance(exc, AuthApiError):
        code = str(exc.code) if exc.code else None
        if code in _AUTH_FAILURES or exc.status == 401:
            return AuthenticationError(exc.message, code=code, status=exc.status)
        return from_postgrest_body(exc.status, {"message": exc.message, "code": code})
    message = getattr(exc, "message", None) or str(exc)
    return AuthenticationError(message, code=getattr(exc, "code", None))
