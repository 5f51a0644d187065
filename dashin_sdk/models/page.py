"""Page metadata, shaped like the spec's ``meta`` (``pageSize``, ``hasMore`` on the wire)."""

from __future__ import annotations

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class PageMeta(BaseModel):
    model_config = ConfigDict(frozen=True, serialize_by_alias=True)

    total: int
    page: int
    page_size: int = Field(
        validation_alias=AliasChoices("page_size", "pageSize"), serialization_alias="pageSize"
    )
    has_more: bool = Field(
        validation_alias=AliasChoices("has_more", "hasMore"), serialization_alias="hasMore"
    )
