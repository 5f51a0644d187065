"""Page metadata, shaped like the spec's ``meta`` (``pageSize``, ``hasMore`` on the wire)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PageMeta(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    total: int
    page: int
    page_size: int = Field(alias="pageSize")
    has_more: bool = Field(alias="hasMore")
