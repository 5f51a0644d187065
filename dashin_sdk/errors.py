"""The exceptions every Dashin call can raise, on either backend.

    DashinError
     ├── ConfigurationError        missing URL / key / credentials key, bad settings
     ├── APIError                  the server (Postgres or PostgREST/Auth) refused the call
     │    ├── AuthenticationError  401: no session, bad password, expired token
     │    ├── PermissionDeniedError 403 / 42501: RLS or a grant said no
     │    ├── NotFoundError        404 / no row visible to this identity
     │    ├── ConflictError        409 / 23505 / 23503: unique or foreign key clash
     │    ├── ValidationError      400 / 23514 / 22P02 / 22023 / 23502: bad input
     │    ├── InvalidStateError    PT409: an illegal job transition
     │    ├── RateLimitError       429 (``retry_after`` seconds when the server said)
     │    └── ServerError          5xx or any other SQLSTATE
     ├── ConnectionError           the server could not be reached
     └── TimeoutError              the call took longer than the configured timeout

Each :class:`APIError` carries ``code`` (a SQLSTATE, a ``PGRST…`` code or the HTTP status),
``message``, ``hint``, ``details`` and, over HTTP, ``status``. Input checked before a request is
sent raises :class:`ValidationError` with ``field`` naming the offending argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DashinError(Exception):
    """Base class of every error the SDK raises on purpose."""


class ConfigurationError(DashinError):
    """The client cannot be built or used as configured (missing URL, key, ...)."""


class APIError(DashinError):
    """The database or the API refused the call."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        details: Any = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.hint = hint
        self.details = details
        self.status = status
        self.field = field
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"{self.message} (field: {self.field})" if self.field else self.message
        if self.code:
            text = f"[{self.code}] {text}"
        if self.hint:
            text = f"{text}; hint: {self.hint}"
        return text


class AuthenticationError(APIError):
    """No valid session: sign in again."""


class PermissionDeniedError(APIError):
    """The identity may not do this (RLS, a column grant, a role check)."""


class NotFoundError(APIError):
    """No such row, or none this identity may see."""


class ConflictError(APIError):
    """The change clashes with existing data (unique key, foreign key)."""


class ValidationError(APIError):
    """The input is malformed or breaks a CHECK; ``field`` names it when known."""


class InvalidStateError(APIError):
    """The requested job transition is not allowed from the job's current status."""


class RateLimitError(APIError):
    """Too many requests; ``retry_after`` is how long the server asked to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIError):
    """The server failed (5xx, or a database error with no more specific meaning)."""


class ConnectionError(DashinError):
    """The database or the API could not be reached."""


class TimeoutError(DashinError):
    """The call did not finish within the configured timeout."""


# SQLSTATE (or its class, the first two characters) -> error type.
_SQLSTATE_ERRORS: dict[str, type[APIError]] = {
    "42501": PermissionDeniedError,
    "28000": AuthenticationError,
    "28P01": AuthenticationError,
    "23505": ConflictError,
    "23503": ConflictError,
    "40001": ConflictError,
    "40P01": ConflictError,
    "23514": ValidationError,
    "23502": ValidationError,
    "22P02": ValidationError,
    "22023": ValidationError,
    "22007": ValidationError,
    "22008": ValidationError,
    "22001": ValidationError,
    "22003": ValidationError,
    "P0002": NotFoundError,
    "PT409": InvalidStateError,
    "PT404": NotFoundError,
    "PT403": PermissionDeniedError,
    "PT400": ValidationError,
    # PostgREST's own codes.
    "PGRST116": NotFoundError,  # .single() matched no row
    "PGRST301": AuthenticationError,  # JWT invalid
    "PGRST302": AuthenticationError,  # anonymous access disabled
    "PGRST303": AuthenticationError,  # JWT claims invalid
    "PGRST100": ValidationError,  # bad query string
    "PGRST102": ValidationError,  # bad body
    "PGRST204": ValidationError,  # unknown column
    "PGRST202": NotFoundError,  # unknown function
    "PGRST205": NotFoundError,  # unknown table
}

_HTTP_ERRORS: dict[int, type[APIError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    406: NotFoundError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_type_for(code: str | None, status: int | None = None) -> type[APIError]:
    """The most specific error type for a SQLSTATE / PostgREST code and HTTP status."""
    if code:
        if code in _SQLSTATE_ERRORS:
            return _SQLSTATE_ERRORS[code]
        if code.startswith("22"):
            return ValidationError
        if code.startswith("23"):
            return ConflictError
        if code.startswith("08"):
            return ServerError
    if status is not None:
        if status in _HTTP_ERRORS:
            return _HTTP_ERRORS[status]
        if 400 <= status < 500:
            return ValidationError
    return ServerError


def api_error(
    message: str,
    *,
    code: str | None = None,
    hint: str | None = None,
    details: Any = None,
    status: int | None = None,
    retry_after: float | None = None,
) -> APIError:
    """Build the typed error for a database or HTTP failure."""
    error_type = error_type_for(code, status)
    if error_type is RateLimitError:
        return RateLimitError(
            message, retry_after=retry_after, code=code, hint=hint, details=details, status=status
        )
    return error_type(message, code=code, hint=hint, details=details, status=status)


def from_postgrest_body(
    status: int, body: Mapping[str, Any] | None, *, retry_after: float | None = None
) -> APIError:
    """The typed error for a PostgREST / Auth / gateway error response.

    PostgREST bodies are ``{code, message, details, hint}``; Auth (GoTrue) uses ``msg`` or
    ``error_description``; the API gateway says ``{"message": ...}``.
    """
    body = body or {}
    message = (
        body.get("message")
        or body.get("msg")
        or body.get("error_description")
        or body.get("error")
        or f"HTTP {status}"
    )
    code = body.get("code") if isinstance(body.get("code"), str) else None
    if code is None and body.get("error_code"):
        code = str(body["error_code"])
    return api_error(
        str(message),
        code=code,
        hint=body.get("hint"),
        details=body.get("details"),
        status=status,
        retry_after=retry_after,
    )


def invalid_argument(field: str, problem: str) -> ValidationError:
    """The error for an argument rejected before any request is sent."""
    return ValidationError(f"{field}: {problem}", code="invalid_argument", field=field)
