"""``dx.leads`` on the direct backend: filters, CRUD, the lead workflow, batch upsert, scoring."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from dashin_sdk import ConflictError, Dashin, NotFoundError, ValidationError
from dashin_sdk.models.enums import LeadPriority, LeadStatus, QualificationStatus
from tests.integration.sdk.conftest import AsUser
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    AGENCY_B,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    RESEARCHER_A,
)

# (list() keyword arguments, the same filter as SQL over agency A's leads, its parameters)
FILTERS: list[tuple[dict[str, Any], str, tuple[Any, ...]]] = [
    ({}, "true", ()),
    ({"campaign_id": CAMPAIGN_A2}, "campaign_id = %s", (CAMPAIGN_A2,)),
    ({"status": "contacted"}, "status = 'contacted'", ()),
    ({"status": LeadStatus.NEW}, "status = 'new'", ()),
    ({"qualification_status": "qualified"}, "qualification_status = 'qualified'", ()),
    ({"priority": LeadPriority.URGENT}, "priority = 'urgent'", ()),
    ({"assigned_to": RESEARCHER_A}, "assigned_to = %s", (RESEARCHER_A,)),
    ({"search": "hopper"}, "last_name ilike %s", ("%hopper%",)),
    ({"search": "GLOBEX"}, "(company ilike %s or email ilike %s)", ("%globex%", "%globex%")),
    ({"search": "ada."}, "email ilike %s or first_name ilike %s", ("%ada.%", "%ada.%")),
    (
        {"status": "new", "priority": "medium", "campaign_id": CAMPAIGN_A1},
        "status = 'new' and priority = 'medium' and campaign_id = %s",
        (CAMPAIGN_A1,),
    ),
]


@pytest.fixture(scope="module")
def assigned(shared_conn: Conn) -> None:
    """Give agency A's researcher a few leads, so the assigned_to filter has something to find."""
    shared_conn.execute(
        "update public.leads set assigned_to = %s where agency_id = %s and status = 'responded'",
        (RESEARCHER_A, AGENCY_A),
    )


@pytest.mark.usefixtures("assigned")
@pytest.mark.parametrize(("filters", "predicate", "params"), FILTERS)
def test_list_filters_match_sql(
    shared_dx: Dashin,
    shared_conn: Conn,
    filters: dict[str, Any],
    predicate: str,
    params: tuple[Any, ...],
) -> None:
    expected = column(
        shared_conn,
        f"select id from public.leads where agency_id = %s and ({predicate})",
        (AGENCY_A, *params),
    )
    assert expected or predicate == "false"
    page = shared_dx.as_user(ADMIN_A).leads.list(**filters, page_size=1000)
    assert {lead.id for lead in page.data} == set(expected)
    assert page.meta.total == len(expected)


@pytest.mark.parametrize(
    "sort_by", ["created_at", "email", "last_name", "company", "priority", "last_contacted_at"]
)
@pytest.mark.parametrize("sort_order", ["asc", "desc"])
def test_list_sorts_and_pages(
    shared_dx: Dashin, shared_conn: Conn, sort_by: str, sort_order: str
) -> None:
    nulls = "nulls last" if sort_order == "desc" else ""
    expected = column(
        shared_conn,
        f"select id from public.leads where agency_id = %s"
        f" order by {sort_by} {sort_order} {nulls}, id {sort_order}",
        (AGENCY_A,),
    )
    admin = shared_dx.as_user(ADMIN_A)
    first = admin.leads.list(sort_by=sort_by, sort_order=sort_order, page_size=7)
    assert [lead.id for lead in first.data] == expected[:7]
    assert [lead.id for lead in first.iter_all()] == expected
    third = admin.leads.list(sort_by=sort_by, sort_order=sort_order, page_size=7, page=3)
    assert [lead.id for lead in third.data] == expected[14:21]


def test_create_get_update_delete(as_user: AsUser, conn: Conn) -> None:
    admin = as_user(ADMIN_A)
    lead = admin.leads.create(
        email="  New.Person@Example.COM ",
        first_name="New",
        company="Example",
        campaign_id=CAMPAIGN_A1,
        metadata={"from": "test"},
    )
    assert lead.agency_id == UUID(AGENCY_A)
    assert lead.email == "new.person@example.com"  # normalised by the database
    assert lead.status is LeadStatus.NEW
    assert lead.qualification_status is QualificationStatus.PENDING
    assert lead.created_by == UUID(ADMIN_A)
    assert admin.leads.get(lead.id) == lead

    updated = admin.leads.update(lead.id, title="CFO", priority="high")
    assert (updated.title, updated.priority) == ("CFO", LeadPriority.HIGH)

    with pytest.raises(ConflictError):
        admin.leads.create(email="new.person@example.com")
    with pytest.raises(ValidationError) as caught:
        admin.leads.create(first_name="Nameless")
    assert caught.value.field == "LeadCreate"  # a rule of the whole record, not one field
    assert "needs an email" in caught.value.message
    with pytest.raises(ValidationError) as caught:
        admin.leads.update(lead.id, status="bogus")
    assert caught.value.field == "status"

    admin.leads.delete(lead.id)
    assert column(conn, "select count(*) from public.leads where id = %s", (lead.id,)) == [0]
    with pytest.raises(NotFoundError):
        admin.leads.get(lead.id)
    with pytest.raises(NotFoundError):
        admin.leads.update(lead.id, title="x")


def test_qualify_stamps_and_clears_qualified_at(as_user: AsUser, conn: Conn) -> None:
    lead_id = factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1)
    researcher = as_user(RESEARCHER_A)
    qualified = researcher.leads.qualify(lead_id, reason="fits the ICP")
    assert qualified.qualification_status is QualificationStatus.QUALIFIED
    assert qualified.qualification_reason == "fits the ICP"
    assert qualified.qualified_at is not None
    disqualified = researcher.leads.qualify(lead_id, "disqualified", reason="too small")
    assert disqualified.qualification_status is QualificationStatus.DISQUALIFIED
    assert disqualified.qualified_at is None
    with pytest.raises(ValidationError) as caught:
        researcher.leads.qualify(lead_id, "maybe")
    assert caught.value.field == "status"


def test_assign_and_unassign(as_user: AsUser, conn: Conn) -> None:
    lead_id = factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1)
    admin = as_user(ADMIN_A)
    assert admin.leads.assign(lead_id, RESEARCHER_A).assigned_to == UUID(RESEARCHER_A)
    assert admin.leads.list(assigned_to=RESEARCHER_A).meta.total == 1
    assert admin.leads.assign(lead_id, None).assigned_to is None


def test_record_contact_moves_the_lead_along(as_user: AsUser, conn: Conn) -> None:
    lead_id = factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1)
    researcher = as_user(RESEARCHER_A)
    contacted = researcher.leads.record_contact(lead_id, channel="email", note="intro")
    assert contacted.status is LeadStatus.CONTACTED
    assert contacted.last_contacted_at is not None
    assert contacted.last_responded_at is None
    history = contacted.metadata["contact_history"]
    assert [(h["channel"], h["note"], h["responded"]) for h in history] == [
        ("email", "intro", False)
    ]

    responded = researcher.leads.record_contact(lead_id, channel="phone", responded=True)
    assert responded.status is LeadStatus.RESPONDED
    assert responded.last_responded_at is not None
    assert responded.last_contacted_at is not None
    assert responded.last_contacted_at >= contacted.last_contacted_at
    assert len(responded.metadata["contact_history"]) == 2

    # A qualified lead keeps its status; only the times move.
    conn.execute("update public.leads set status = 'qualified' where id = %s", (lead_id,))
    again = researcher.leads.record_contact(lead_id)
    assert again.status is LeadStatus.QUALIFIED


def test_record_contact_on_an_invisible_lead(as_user: AsUser, conn: Conn) -> None:
    other = factories.create_lead(
        conn, AGENCY_B, None, first_name="B", company="Bco", email="b@bco.example"
    )
    with pytest.raises(NotFoundError):
        as_user(ADMIN_A).leads.record_contact(other)


def test_bulk_update(as_user: AsUser, conn: Conn) -> None:
    ids = [factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1) for _ in range(3)]
    other = factories.create_lead(conn, AGENCY_B, None)
    admin = as_user(ADMIN_A)
    changed = admin.leads.bulk_update(
        [*ids, other], status="nurturing", priority="urgent", assigned_to=RESEARCHER_A
    )
    assert changed == 3  # agency B's lead is invisible, not changed
    rows = conn.execute(
        "select status::text, priority::text, assigned_to from public.leads where id = any(%s)",
        (ids,),
    ).fetchall()
    assert rows == [("nurturing", "urgent", UUID(RESEARCHER_A))] * 3
    assert column(conn, "select status::text from public.leads where id = %s", (other,)) == ["new"]
    with pytest.raises(ValidationError) as caught:
        admin.leads.bulk_update(ids)
    assert caught.value.field == "updates"
    with pytest.raises(ValidationError) as caught:
        admin.leads.bulk_update([])
    assert caught.value.field == "lead_ids"
    with pytest.raises(ValidationError) as caught:
        admin.leads.bulk_update(ids, priority="sky-high")
    assert caught.value.field == "priority"


def test_upsert_many_batches_and_reports_rejections_by_input_position(
    as_user: AsUser, conn: Conn
) -> None:
    records: list[dict[str, Any]] = [
        {"email": f"batch{n}@upsert.example", "first_name": f"P{n}", "company": "Upsert"}
        for n in range(10)
    ]
    records[3] = {"first_name": "nobody"}  # not identifiable: rejected
    records[7] = {"email": "not an email"}  # invalid: rejected
    records.append({"email": "BATCH1@upsert.example", "title": "CEO"})  # fills batch1's title
    admin = as_user(ADMIN_A)
    result = admin.leads.upsert_many(
        records, campaign_id=CAMPAIGN_A2, source="sdk-test", batch_size=4
    )
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (8, 1, 0, 2)
    assert sorted(r.index for r in result.rejections) == [3, 7]
    assert all(r.reason for r in result.rejections)
    rows = conn.execute(
        "select agency_id, campaign_id, source, title from public.leads"
        " where email = 'batch1@upsert.example'"
    ).fetchall()
    assert rows == [(UUID(AGENCY_A), UUID(CAMPAIGN_A2), "sdk-test", "CEO")]

    again = admin.leads.upsert_many(records[:3], batch_size=2)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    with pytest.raises(ValidationError) as caught:
        admin.leads.upsert_many(records, batch_size=0)
    assert caught.value.field == "batch_size"


def test_score(as_user: AsUser, conn: Conn) -> None:
    lead_id = column(conn, "select id from public.leads where agency_id = %s limit 1", (AGENCY_A,))[
        0
    ]
    expected = column(conn, "select public.calculate_lead_score(%s)", (lead_id,))[0]
    score = as_user(ADMIN_A).leads.score(lead_id)
    assert score == expected
    assert 0 <= score <= 100
    other = column(conn, "select id from public.leads where agency_id = %s limit 1", (AGENCY_B,))
    with pytest.raises(NotFoundError):
        as_user(ADMIN_A).leads.score(other[0])


def test_service_role_must_name_the_agency(dx: Dashin) -> None:
    with pytest.raises(ValidationError):
        dx.leads.create(email="orphan@example.com")
    created = dx.leads.create(email="owned@example.com", agency_id=AGENCY_B)
    assert created.agency_id == UUID(AGENCY_B)
