"""Mapping database and HTTP failures to the SDK's typed errors."""

from __future__ import annotations

import pytest

from dashin_sdk.errors import (
    APIError,
    AuthenticationError,
    ConflictError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    api_error,
    error_type_for,
    from_postgrest_body,
    invalid_argument,
)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("42501", PermissionDeniedError),
        ("28P01", AuthenticationError),
        ("23505", ConflictError),
        ("23503", ConflictError),
        ("40001", ConflictError),
        ("23514", ValidationError),
        ("23502", ValidationError),
        ("22P02", ValidationError),
        ("22023", ValidationError),
        ("22012", ValidationError),  # any other class 22: data exception
        ("23P01", ConflictError),  # any other class 23: integrity (exclusion)
        ("P0002", NotFoundError),
        ("PT409", InvalidStateError),
        ("PT404", NotFoundError),
        ("PT403", PermissionDeniedError),
        ("PT400", ValidationError),
        ("PGRST116", NotFoundError),
        ("PGRST301", AuthenticationError),
        ("PGRST204", ValidationError),
        ("PGRST202", NotFoundError),
        ("XX000", ServerError),
        ("P0001", ServerError),  # a plain RAISE EXCEPTION
        ("57014", ServerError),
    ],
)
def test_sqlstate(code: str, expected: type[APIError]) -> None:
    assert error_type_for(code) is expected
    error = api_error("boom", code=code)
    assert type(error) is expected
    assert error.code == code
    assert str(error) == f"[{code}] boom"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (406, NotFoundError),
        (409, ConflictError),
        (418, ValidationError),
        (422, ValidationError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_http_status(status: int, expected: type[APIError]) -> None:
    assert error_type_for(None, status) is expected
    assert type(from_postgrest_body(status, None)) is expected


def test_sqlstate_wins_over_status() -> None:
    # PostgREST answers 409 for PT409 and 403 for 42501; the code is more precise.
    assert error_type_for("PT409", 400) is InvalidStateError
    assert error_type_for("23505", 400) is ConflictError


def test_postgrest_body_fields() -> None:
    error = from_postgrest_body(
        409,
        {"code": "PT409", "message": "invalid job transition", "hint": "h", "details": "d"},
    )
    assert isinstance(error, InvalidStateError)
    assert (error.code, error.message, error.hint, error.details, error.status) == (
        "PT409",
        "invalid job transition",
        "h",
        "d",
        409,
    )
    assert str(error) == "[PT409] invalid job transition; hint: h"


@pytest.mark.parametrize(
    ("body", "message", "code"),
    [
        (
            {"msg": "Invalid login credentials", "error_code": "invalid_credentials"},
            "Invalid login credentials",
            "invalid_credentials",
        ),
        ({"error": "invalid_grant", "error_description": "bad token"}, "bad token", None),
        ({"message": "no Route matched"}, "no Route matched", None),
        ({}, "HTTP 401", None),
        ({"code": 42, "message": "numeric code"}, "numeric code", None),
    ],
)
def test_auth_and_gateway_bodies(body: dict[str, object], message: str, code: str | None) -> None:
    error = from_postgrest_body(401, body)
    assert isinstance(error, AuthenticationError)
    assert (error.message, error.code) == (message, code)


def test_rate_limit_keeps_retry_after() -> None:
    error = from_postgrest_body(429, {"message": "slow down"}, retry_after=2.5)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 2.5


def test_invalid_argument_names_the_field() -> None:
    error = invalid_argument("page_size", "must be 1..1000")
    assert isinstance(error, ValidationError)
    assert (error.field, error.code) == ("page_size", "invalid_argument")
    assert "page_size" in str(error)
