"""Against a real Supabase project, when one is configured; skipped otherwise.

Set ``SUPABASE_URL`` and ``SUPABASE_ANON_KEY`` of a project where the migrations and the seed
were pushed (``supabase db push`` + seed), and optionally ``DASHIN_LIVE_EMAIL`` /
``DASHIN_LIVE_PASSWORD`` (default: the seeded demo agency admin). Nothing here is doubled:
PostgREST, Auth and Realtime answer for real.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from dashin_sdk import Dashin
from dashin_sdk.errors import AuthenticationError, PermissionDeniedError
from dashin_sdk.models.enums import UserRole

URL = os.environ.get("SUPABASE_URL")
ANON_KEY = os.environ.get("SUPABASE_ANON_KEY")
EMAIL = os.environ.get("DASHIN_LIVE_EMAIL", "admin@demo.dashin.test")
PASSWORD = os.environ.get("DASHIN_LIVE_PASSWORD", "dashin-demo-password")

pytestmark = pytest.mark.skipif(
    not (URL and ANON_KEY), reason="set SUPABASE_URL and SUPABASE_ANON_KEY to run against a project"
)


@pytest.fixture
def signed_in() -> Iterator[Dashin]:
    assert URL is not None
    assert ANON_KEY is not None
    with Dashin(supabase_url=URL, supabase_key=ANON_KEY) as dx:
        dx.auth.sign_in_with_password(EMAIL, PASSWORD)
        yield dx


def test_sign_in_and_read_own_agency(signed_in: Dashin) -> None:
    me = signed_in.auth.current_user()
    assert me.role in (UserRole.AGENCY_ADMIN, UserRole.SUPER_ADMIN)
    page = signed_in.campaigns.list(page_size=5)
    assert page.meta.total >= len(page.data)
    if me.role is UserRole.AGENCY_ADMIN:
        assert all(c.agency_id == me.agency_id for c in page.data)


def test_analytics_endpoints_answer_in_the_spec_shapes(signed_in: Dashin) -> None:
    overview = signed_in.analytics.overview(range="30d")
    assert overview.date_range.range == "30d"
    leads = signed_in.analytics.leads(group_by="status")
    assert set(leads.status_breakdown) <= {
        "new",
        "contacted",
        "responded",
        "qualified",
        "nurturing",
        "converted",
        "disqualified",
    }


def test_anonymous_key_alone_sees_no_campaigns() -> None:
    assert URL is not None
    assert ANON_KEY is not None
    with Dashin(supabase_url=URL, supabase_key=ANON_KEY) as dx:
        try:
            page = dx.campaigns.list()
        except (PermissionDeniedError, AuthenticationError):
            return
        assert page.data == []


def test_wrong_password_is_an_authentication_error() -> None:
    assert URL is not None
    assert ANON_KEY is not None
    with Dashin(supabase_url=URL, supabase_key=ANON_KEY) as dx, pytest.raises(AuthenticationError):
        dx.auth.sign_in_with_password(EMAIL, PASSWORD + "-wrong")
