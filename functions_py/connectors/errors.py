"""The connector error tree the worker maps to job outcomes.

``TransientError`` means "try again later" (the worker fails the job as retryable);
``PermanentError`` means retrying cannot help (bad configuration, rejected request);
``AuthFailedError`` additionally marks the data source as being in error. Messages never
contain credentials.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class of every error a connector raises."""


class TransientError(ConnectorError):
    """Rate limited, server error, timeout or connection failure: retry with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ConnectorError):
    """The request cannot succeed as configured (4xx other than 429, bad data)."""


class AuthFailedError(PermanentError):
    """The provider refused the credentials (401/403)."""


class ConnectorConfigError(PermanentError):
    """A data source's configuration is invalid; ``field`` names the offending key."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"invalid data source config: {field}: {problem}")
        self.field = field
        self.problem = problem
