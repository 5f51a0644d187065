"""``dx.analytics``, ``dx.notifications`` and ``dx.auth`` on the direct backend."""

from __future__ import annotations

from uuid import UUID

import pytest

from dashin_sdk import AuthenticationError, Dashin, NotFoundError, ValidationError
from dashin_sdk.models.analytics import LeadGrouping
from dashin_sdk.models.enums import UserRole
from tests.integration.sdk.conftest import AsUser
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    ADMIN_B,
    AGENCY_A,
    AGENCY_B,
    CAMPAIGN_A1,
    CAMPAIGN_B1,
    CLIENT_A,
    SUPER_ADMIN,
)

PASSWORD = "dashin-demo-password"


@pytest.mark.parametrize("range_", ["7d", "30d", "90d", "1y"])
def test_overview_ranges(as_user: AsUser, conn: Conn, range_: str) -> None:
    overview = as_user(ADMIN_A).analytics.overview(range=range_)  # type: ignore[arg-type]
    assert overview.date_range.range == range_
    assert overview.date_range.start < overview.date_range.end
    total = column(conn, "select count(*) from public.leads where agency_id = %s", (AGENCY_A,))
    assert overview.overview.leads.total == total[0]
    assert overview.overview.campaigns.total == 3


def test_overview_agency_choice(dx: Dashin, as_user: AsUser) -> None:
    with pytest.raises(ValidationError):
        as_user(SUPER_ADMIN).analytics.overview()  # a super admin has no agency of their own
    assert as_user(SUPER_ADMIN).analytics.overview(agency_id=AGENCY_B).overview.campaigns.total == 1
    assert dx.analytics.overview(agency_id=AGENCY_A).overview.campaigns.total == 3
    with pytest.raises(ValidationError) as caught:
        dx.analytics.overview(range="2w")  # type: ignore[arg-type]
    assert caught.value.field == "range"


def test_campaign_analytics(as_user: AsUser, conn: Conn) -> None:
    leads = column(conn, "select count(*) from public.leads where campaign_id = %s", (CAMPAIGN_A1,))
    for group_by in ("day", "week", "month"):
        analytics = as_user(ADMIN_A).analytics.campaign(CAMPAIGN_A1, range="1y", group_by=group_by)
        assert analytics.campaign.id == UUID(CAMPAIGN_A1)
        assert analytics.metrics.total_leads == leads[0]
        assert sum(analytics.distribution.status.values()) == leads[0]
    with pytest.raises(NotFoundError):
        as_user(ADMIN_A).analytics.campaign(CAMPAIGN_B1)


@pytest.mark.parametrize("group_by", ["status", "qualification", "campaign", "source"])
def test_lead_analytics_group_by(as_user: AsUser, conn: Conn, group_by: LeadGrouping) -> None:
    result = as_user(ADMIN_A).analytics.leads(range="1y", group_by=group_by)
    total = column(conn, "select count(*) from public.leads where agency_id = %s", (AGENCY_A,))[0]
    assert result.metrics.total == total
    assert sum(result.grouped_data.values()) == total
    assert sum(result.status_breakdown.values()) == total
    narrowed = as_user(ADMIN_A).analytics.leads(
        range="1y", group_by=group_by, campaign_id=CAMPAIGN_A1
    )
    in_campaign = column(
        conn, "select count(*) from public.leads where campaign_id = %s", (CAMPAIGN_A1,)
    )[0]
    assert narrowed.metrics.total == in_campaign
    with pytest.raises(ValidationError) as caught:
        as_user(ADMIN_A).analytics.leads(group_by="colour")  # type: ignore[arg-type]
    assert caught.value.field == "group_by"


def test_notifications_are_per_user(as_user: AsUser, conn: Conn) -> None:
    mine = [factories.create_notification(conn, ADMIN_A, AGENCY_A, f"n{n}") for n in range(3)]
    theirs = factories.create_notification(conn, CLIENT_A, AGENCY_A, "for the client")
    admin = as_user(ADMIN_A)
    page = admin.notifications.list()
    own = set(column(conn, "select id from public.notifications where user_id = %s", (ADMIN_A,)))
    assert {n.id for n in page.data} == own
    assert {UUID(i) for i in mine} <= own
    assert [n.created_at for n in page.data] == sorted(
        (n.created_at for n in page.data), reverse=True
    )

    assert admin.notifications.mark_read([mine[0], theirs]) == 1  # never someone else's
    assert admin.notifications.mark_read([mine[0]]) == 0  # already read
    unread = admin.notifications.list(unread_only=True)
    assert UUID(mine[0]) not in {n.id for n in unread.data}
    assert {UUID(mine[1]), UUID(mine[2])} <= {n.id for n in unread.data}
    assert all(not n.read for n in unread.data)
    assert column(conn, "select read from public.notifications where id = %s", (theirs,)) == [False]
    assert [n.id for n in as_user(CLIENT_A).notifications.list().data] == [UUID(theirs)]
    with pytest.raises(ValidationError) as caught:
        admin.notifications.mark_read([])
    assert caught.value.field == "ids"


def test_sign_in_with_password(fresh_db_url: str) -> None:
    with Dashin(database_url=fresh_db_url) as dx:
        with pytest.raises(AuthenticationError):
            dx.auth.current_user()  # the service role is nobody
        profile = dx.auth.sign_in_with_password("ADMIN@demo.dashin.test", PASSWORD)
        assert (profile.id, profile.role, profile.agency_id) == (
            UUID(ADMIN_A),
            UserRole.AGENCY_ADMIN,
            UUID(AGENCY_A),
        )
        assert dx.auth.current_user() == profile
        assert dx.identity.user_id == UUID(ADMIN_A)
        # Signed in, RLS applies: agency B is out of sight.
        assert {c.agency_id for c in dx.campaigns.list().data} == {UUID(AGENCY_A)}
        with pytest.raises(NotFoundError):
            dx.campaigns.get(CAMPAIGN_B1)

        other = dx.auth.sign_in_with_password("admin@acme.dashin.test", PASSWORD)
        assert other.id == UUID(ADMIN_B)
        assert {c.agency_id for c in dx.campaigns.list().data} == {UUID(AGENCY_B)}

        dx.auth.sign_out()
        assert dx.identity.role == "service_role"
        with pytest.raises(AuthenticationError):
            dx.auth.current_user()
        assert dx.campaigns.list().meta.total == 4


@pytest.mark.parametrize(
    ("email", "password", "error"),
    [
        ("admin@demo.dashin.test", "wrong-password", AuthenticationError),
        ("nobody@demo.dashin.test", PASSWORD, AuthenticationError),
        ("not-an-email", PASSWORD, ValidationError),
        ("admin@demo.dashin.test", "", ValidationError),
    ],
)
def test_sign_in_failures(
    fresh_db_url: str, email: str, password: str, error: type[Exception]
) -> None:
    with Dashin(database_url=fresh_db_url) as dx:
        with pytest.raises(error):
            dx.auth.sign_in_with_password(email, password)
        assert dx.identity.role == "service_role"  # unchanged


def test_banned_user_cannot_sign_in(fresh_db_url: str, conn: Conn) -> None:
    conn.execute(
        "update auth.users set banned_until = now() + interval '1 day' where id = %s", (ADMIN_A,)
    )
    with Dashin(database_url=fresh_db_url) as dx, pytest.raises(AuthenticationError):
        dx.auth.sign_in_with_password("admin@demo.dashin.test", PASSWORD)
