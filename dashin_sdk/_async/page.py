"""``Page[T]``: one page of results, and lazy iteration across all pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from dashin_sdk.models.page import PageMeta

if TYPE_CHECKING:
    import pandas

T = TypeVar("T", bound=BaseModel)


class AsyncPage(Generic[T]):
    """``data`` (the rows) and ``meta`` (total, page, page_size, has_more).

    ``iter_all()`` yields every row of every page from this one on, fetching each next page
    only when the previous one is used up.
    """

    def __init__(
        self,
        data: list[T],
        meta: PageMeta,
        fetch_page: Callable[[int], Awaitable[AsyncPage[T]]],
    ) -> None:
        self.data = data
        self.meta = meta
        self._fetch_page = fetch_page

    def __repr__(self) -> str:
        m = self.meta
        return (
            f"Page(page={m.page}, page_size={m.page_size}, total={m.total}, rows={len(self.data)})"
        )

    def __len__(self) -> int:
        return len(self.data)

    async def next_page(self) -> AsyncPage[T] | None:
        if not self.meta.has_more:
            return None
        return await self._fetch_page(self.meta.page + 1)

    async def iter_all(self) -> AsyncIterator[T]:
        page: AsyncPage[T] | None = self
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()

    def to_dicts(self) -> list[dict[str, Any]]:
        return [item.model_dump(mode="python") for item in self.data]

    def to_pandas(self) -> pandas.DataFrame:
        """This page as a DataFrame (``pip install 'dashin[pandas]'``)."""
        try:
            import pandas
        except ImportError:  # pragma: no cover - depends on the environment
            from dashin_sdk.errors import ConfigurationError

            raise ConfigurationError(
                "to_pandas() needs pandas: pip install 'dashin[pandas]'"
            ) from None
        columns = list(type(self.data[0]).model_fields) if self.data else None
        return pandas.DataFrame(self.to_dicts(), columns=columns)
