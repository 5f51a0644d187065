"""Base classes shared by every model."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict

from dashin_sdk.errors import ValidationError


class Row(BaseModel):
    """A row read from the database: immutable, tolerant of columns added later."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Input(BaseModel):
    """Arguments of a create / update call: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    def to_payload(self) -> dict[str, Any]:
        """The JSON-ready fields that were actually given (unset ones keep the DB default)."""
        return self.model_dump(mode="json", exclude_unset=True)


InputT = TypeVar("InputT", bound=Input)


def validate_input(model: type[InputT], data: dict[str, Any]) -> InputT:
    """Check arguments before any request; the error names the first offending field."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        field = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise ValidationError(
            f"{field}: {first['msg']}", code="invalid_argument", field=field, details=errors
        ) from None
