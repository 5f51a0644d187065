"""``Page``: metadata, lazy paging and ``to_pandas`` (no database: pages are built by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

import pandas

from dashin_sdk import Page
from dashin_sdk.models.enums import CampaignStatus
from dashin_sdk.models.page import PageMeta
from dashin_sdk.models.tables import CampaignMember


def member(n: int) -> CampaignMember:
    return CampaignMember(
        campaign_id=uuid4(),
        user_id=UUID(int=n),
        agency_id=uuid4(),
        created_at=datetime(2025, 1, n, tzinfo=UTC),
    )


def pages(total: int, size: int) -> Page[CampaignMember]:
    rows = [member(n) for n in range(1, total + 1)]
    fetched: list[int] = []

    def fetch(number: int) -> Page[CampaignMember]:
        fetched.append(number)
        return make(number)

    def make(number: int) -> Page[CampaignMember]:
        data = rows[(number - 1) * size : number * size]
        has_more = (number - 1) * size + len(data) < total
        return Page(
            data, PageMeta(total=total, page=number, page_size=size, has_more=has_more), fetch
        )

    first = make(1)
    first.fetched = fetched  # type: ignore[attr-defined]
    return first


def test_iter_all_fetches_lazily() -> None:
    first = pages(5, 2)
    iterator = iter(first.iter_all())
    assert [next(iterator).user_id.int for _ in range(2)] == [1, 2]
    assert first.fetched == []  # type: ignore[attr-defined]
    assert [m.user_id.int for m in iterator] == [3, 4, 5]
    assert first.fetched == [2, 3]  # type: ignore[attr-defined]


def test_meta_on_the_wire_is_camel_case() -> None:
    meta = pages(5, 2).meta
    assert meta.model_dump() == {"total": 5, "page": 1, "pageSize": 2, "hasMore": True}
    assert PageMeta.model_validate({"total": 1, "page": 1, "pageSize": 1, "hasMore": False})


def test_to_pandas() -> None:
    page = pages(3, 10)
    frame = page.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["campaign_id", "user_id", "agency_id", "created_at"]
    assert len(frame) == 3
    assert frame["user_id"].tolist() == [UUID(int=n) for n in (1, 2, 3)]
    assert frame["created_at"].iloc[0] == datetime(2025, 1, 1, tzinfo=UTC)
    assert len(page) == 3
    assert repr(page) == "Page(page=1, page_size=10, total=3, rows=3)"


def test_to_pandas_of_an_empty_page() -> None:
    empty: Page[CampaignMember] = Page(
        [], PageMeta(total=0, page=1, page_size=20, has_more=False), lambda n: empty
    )
    frame = empty.to_pandas()
    assert frame.empty
    assert empty.next_page() is None


def test_enums_stay_strings_in_frames() -> None:
    from dashin_sdk.models.tables import Campaign

    now = datetime.now(UTC)
    campaign = Campaign(
        id=uuid4(), agency_id=uuid4(), name="c", description=None, status=CampaignStatus.ACTIVE,
        start_date=None, end_date=None, leads_count=0, qualified_leads_count=0,
        contacted_count=0, responded_count=0, created_by=None, created_at=now, updated_at=now,
    )  # fmt: skip
    page = Page([campaign], PageMeta(total=1, page=1, page_size=1, has_more=False), lambda n: page)
    frame = page.to_pandas()
    assert frame["status"].iloc[0] == "active"
    assert frame["target_audience"].iloc[0] == {}
