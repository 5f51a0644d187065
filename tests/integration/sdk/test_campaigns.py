"""``dx.campaigns`` on the direct backend: listing, CRUD, analytics and membership."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from dashin_sdk import Dashin, NotFoundError, ValidationError
from dashin_sdk.models.enums import CampaignStatus
from tests.integration.sdk.conftest import AsUser
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    AGENCY_B,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    CAMPAIGN_B1,
    CLIENT_A,
    RESEARCHER_A,
)

LIST_CASES: list[tuple[dict[str, Any], str, tuple[Any, ...]]] = [
    ({}, "true", ()),
    ({"status": "active"}, "status = 'active'", ()),
    ({"status": CampaignStatus.PAUSED}, "status = 'paused'", ()),
    ({"search": "fin"}, "name ilike %s", ("%fin%",)),
    ({"search": "FINTECH"}, "name ilike %s", ("%fintech%",)),
    ({"search": "100%"}, "false", ()),  # % is matched literally, not as a wildcard
    ({"agency_id": AGENCY_B}, "agency_id = %s", (AGENCY_B,)),
]


@pytest.mark.parametrize(("filters", "predicate", "params"), LIST_CASES)
def test_list_filters_match_sql(
    shared_dx: Dashin,
    shared_conn: Conn,
    filters: dict[str, Any],
    predicate: str,
    params: tuple[Any, ...],
) -> None:
    page = shared_dx.campaigns.list(**filters, page_size=100)
    expected = column(shared_conn, f"select id from public.campaigns where {predicate}", params)
    assert {c.id for c in page.data} == set(expected)
    assert page.meta.total == len(expected)


def test_admin_list_is_narrowed_to_own_agency(shared_dx: Dashin, shared_conn: Conn) -> None:
    page = shared_dx.as_user(ADMIN_A).campaigns.list(page_size=100)
    expected = column(
        shared_conn, "select id from public.campaigns where agency_id = %s", (AGENCY_A,)
    )
    assert {c.id for c in page.data} == set(expected)


@pytest.mark.parametrize("sort_by", ["name", "created_at", "status", "start_date", "leads_count"])
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_list_sorts(shared_dx: Dashin, shared_conn: Conn, sort_by: str, sort_order: str) -> None:
    nulls = "nulls last" if sort_order == "desc" else ""
    expected = column(
        shared_conn,
        f"select id from public.campaigns order by {sort_by} {sort_order} {nulls}, id {sort_order}",
    )
    page = shared_dx.campaigns.list(sort_by=sort_by, sort_order=sort_order, page_size=100)
    assert [c.id for c in page.data] == expected


def test_paging_walks_every_row_once(shared_dx: Dashin, shared_conn: Conn) -> None:
    first = shared_dx.campaigns.list(page_size=1, sort_by="name", sort_order="asc")
    assert first.meta.total == 4
    assert first.meta.has_more
    assert len(first) == 1
    ids = [c.id for c in first.iter_all()]
    assert ids == column(shared_conn, "select id from public.campaigns order by name, id")
    last = shared_dx.campaigns.list(page=4, page_size=1, sort_by="name", sort_order="asc")
    assert not last.meta.has_more
    assert last.next_page() is None
    beyond = shared_dx.campaigns.list(page=9, page_size=1)
    assert beyond.data == []
    assert beyond.meta.total == 4


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"page": 0}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1001}, "page_size"),
        ({"sort_by": "password"}, "sort_by"),
        ({"sort_order": "sideways"}, "sort_order"),
        ({"status": "running"}, "status"),
        ({"agency_id": "not-a-uuid"}, "agency_id"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_list_rejects_bad_arguments(shared_dx: Dashin, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        shared_dx.campaigns.list(**kwargs)
    assert caught.value.field == field


def test_get_create_update_delete(as_user: AsUser, conn: Conn) -> None:
    admin = as_user(ADMIN_A)
    created = admin.campaigns.create(
        name="Nordic CFOs", description="d", target_audience={"regions": ["Nordics"]}
    )
    assert created.agency_id == UUID(AGENCY_A)
    assert created.created_by == UUID(ADMIN_A)
    assert created.status is CampaignStatus.DRAFT
    assert created.target_audience == {"regions": ["Nordics"]}
    assert admin.campaigns.get(created.id) == created

    updated = admin.campaigns.update(created.id, status="active", name="Nordic CFOs 2")
    assert (updated.status, updated.name) == (CampaignStatus.ACTIVE, "Nordic CFOs 2")
    assert updated.updated_at >= created.updated_at
    assert column(conn, "select name from public.campaigns where id = %s", (created.id,)) == [
        "Nordic CFOs 2"
    ]
    assert admin.campaigns.update(created.id) == updated  # nothing to change: a read

    admin.campaigns.delete(created.id)
    with pytest.raises(NotFoundError):
        admin.campaigns.get(created.id)
    with pytest.raises(NotFoundError):
        admin.campaigns.delete(created.id)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x", "status": "bogus"}, "status"),
        ({"name": "x", "leads_count": 5}, "leads_count"),
    ],
)
def test_create_rejects_bad_input_before_sending(
    dx: Dashin, conn: Conn, fields: dict[str, Any], field: str
) -> None:
    before = column(conn, "select count(*) from public.campaigns")
    with pytest.raises(ValidationError) as caught:
        dx.campaigns.create(agency_id=AGENCY_A, **fields)
    assert caught.value.field == field
    assert column(conn, "select count(*) from public.campaigns") == before


def test_analytics_and_performance(as_user: AsUser, conn: Conn) -> None:
    admin = as_user(ADMIN_A)
    leads = column(
        conn, "select count(*) from public.leads where campaign_id = %s", (CAMPAIGN_A1,)
    )[0]
    for range_ in ("7d", "30d", "90d", "1y"):
        for group_by in ("day", "week", "month"):
            analytics = admin.campaigns.analytics(CAMPAIGN_A1, range=range_, group_by=group_by)
            assert analytics.campaign.id == UUID(CAMPAIGN_A1)
    performance = admin.campaigns.performance(CAMPAIGN_A1)
    assert performance.leads_count == leads
    with pytest.raises(NotFoundError):
        admin.campaigns.analytics(CAMPAIGN_B1)
    with pytest.raises(NotFoundError):
        admin.campaigns.performance(CAMPAIGN_B1)
    with pytest.raises(ValidationError) as caught:
        admin.campaigns.analytics(CAMPAIGN_A1, range="2d")  # type: ignore[arg-type]
    assert caught.value.field == "range"


def test_members(as_user: AsUser) -> None:
    admin = as_user(ADMIN_A)
    assert [m.user_id for m in admin.campaigns.members(CAMPAIGN_A1)] == [UUID(CLIENT_A)]
    assert admin.campaigns.members(CAMPAIGN_A2) == []

    member = admin.campaigns.add_member(CAMPAIGN_A2, CLIENT_A)
    assert (member.campaign_id, member.agency_id) == (UUID(CAMPAIGN_A2), UUID(AGENCY_A))
    client = as_user(CLIENT_A)
    assert {c.id for c in client.campaigns.list().data} == {UUID(CAMPAIGN_A1), UUID(CAMPAIGN_A2)}

    admin.campaigns.remove_member(CAMPAIGN_A2, CLIENT_A)
    assert {c.id for c in client.campaigns.list().data} == {UUID(CAMPAIGN_A1)}
    with pytest.raises(NotFoundError):
        admin.campaigns.remove_member(CAMPAIGN_A2, CLIENT_A)
    with pytest.raises(NotFoundError):
        admin.campaigns.add_member(CAMPAIGN_B1, CLIENT_A)  # another agency's campaign


def test_researcher_reads_members(shared_dx: Dashin) -> None:
    members = shared_dx.as_user(RESEARCHER_A).campaigns.members(CAMPAIGN_A1)
    assert [m.user_id for m in members] == [UUID(CLIENT_A)]
