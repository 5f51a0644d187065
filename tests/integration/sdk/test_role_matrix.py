"""The role matrix through the SDK: what each agency-A role may call, and the exact error.

The rules are the RLS policies and grants of migrations 002 and 003 (see
``tests/integration/test_rls_matrix.py`` for the same matrix in SQL):

* super_admin: everything in every agency;
* agency_admin: everything in their agency;
* researcher: reads campaigns, reads / creates / updates leads (never deletes), reads data
  sources (never their credentials), creates and controls jobs;
* client: reads only the campaigns they are a member of and those campaigns' leads; sees
  nothing of data sources, jobs or job logs;
* each user reads and marks only their own notifications; only the service role runs the queue.

Every call that may write runs on a database of its own, so one case's writes never decide
another's outcome; a refused call must also leave the rows unchanged (checked as the
superuser). Reads share the module's database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from dashin_sdk import (
    Dashin,
    NotFoundError,
    PermissionDeniedError,
    connection_testers,
)
from dashin_sdk.errors import APIError
from dashin_sdk.query import Select
from tests.integration.sdk.conftest import AsUser
from tests.support import factories
from tests.support.factories import Conn, column
from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    AGENCY_B,
    CAMPAIGN_A1,
    CAMPAIGN_A2,
    CAMPAIGN_A3,
    CAMPAIGN_B1,
    CLIENT_A,
    DATA_SOURCE_A,
    DATA_SOURCE_B,
    RESEARCHER_A,
    SUPER_ADMIN,
)

ROLES = {
    "super_admin": SUPER_ADMIN,
    "agency_admin": ADMIN_A,
    "researcher": RESEARCHER_A,
    "client": CLIENT_A,
}


@dataclass(frozen=True)
class World:
    """Rows the calls act on, beyond the seed."""

    lead_a1: str  # agency A, campaign A1 (the client's campaign)
    lead_a2: str  # agency A, campaign A2 (not the client's)
    job_a: str  # agency A, pending, never started
    spare_source_a: str  # agency A, no jobs: may be deleted
    lead_b: str
    job_b: str


def make_world(conn: Conn) -> World:
    return World(
        lead_a1=factories.create_lead(conn, AGENCY_A, CAMPAIGN_A1),
        lead_a2=factories.create_lead(conn, AGENCY_A, CAMPAIGN_A2),
        job_a=factories.create_job(conn, AGENCY_A, DATA_SOURCE_A),
        spare_source_a=factories.create_data_source(conn, AGENCY_A, "spare"),
        lead_b=factories.create_lead(conn, AGENCY_B, CAMPAIGN_B1),
        job_b=factories.create_job(conn, AGENCY_B, DATA_SOURCE_B),
    )


@pytest.fixture
def world(conn: Conn) -> World:
    """The rows, in this test's own database."""
    return make_world(conn)


@pytest.fixture(scope="module")
def shared_world(shared_conn: Conn) -> World:
    """The rows, in the module's shared database (for tests that change nothing)."""
    return make_world(shared_conn)


class _Tester:
    def test_connection(self, config: object, credentials: object) -> tuple[bool, str]:
        return True, "ok"


OK = None
Call = Callable[[Dashin, World], Any]
Outcome = type[APIError] | None
DENIED = PermissionDeniedError
HIDDEN = NotFoundError


def outcomes(
    super_: Outcome, admin: Outcome, researcher: Outcome, client: Outcome
) -> dict[str, Outcome]:
    return dict(zip(ROLES, (super_, admin, researcher, client), strict=True))


# (name, call, outcome per role, superuser SQL whose result must not change when refused)
CASES: list[tuple[str, Call, dict[str, Outcome], str | None]] = [
    # campaigns
    (
        "campaigns.get own",
        lambda c, w: c.campaigns.get(CAMPAIGN_A1),
        outcomes(OK, OK, OK, OK),
        None,
    ),
    (
        "campaigns.get other",
        lambda c, w: c.campaigns.get(CAMPAIGN_A2),
        outcomes(OK, OK, OK, HIDDEN),
        None,
    ),
    (
        "campaigns.create",
        lambda c, w: c.campaigns.create(name="New", agency_id=AGENCY_A),
        outcomes(OK, OK, DENIED, DENIED),
        "select count(*) from public.campaigns",
    ),
    (
        "campaigns.update",
        lambda c, w: c.campaigns.update(CAMPAIGN_A1, name="Renamed"),
        outcomes(OK, OK, DENIED, DENIED),
        f"select name from public.campaigns where id = '{CAMPAIGN_A1}'",
    ),
    (
        "campaigns.delete",
        lambda c, w: c.campaigns.delete(CAMPAIGN_A3),
        outcomes(OK, OK, DENIED, HIDDEN),
        "select count(*) from public.campaigns",
    ),
    (
        "campaigns.add_member",
        lambda c, w: c.campaigns.add_member(CAMPAIGN_A2, CLIENT_A),
        outcomes(OK, OK, DENIED, HIDDEN),
        "select count(*) from public.campaign_members",
    ),
    (
        "campaigns.remove_member",
        lambda c, w: c.campaigns.remove_member(CAMPAIGN_A1, CLIENT_A),
        # Staff see every membership of their agency, a client their own.
        outcomes(OK, OK, DENIED, DENIED),
        "select count(*) from public.campaign_members",
    ),
    (
        "campaigns.performance",
        lambda c, w: c.campaigns.performance(CAMPAIGN_A1),
        outcomes(OK, OK, OK, OK),
        None,
    ),
    # leads
    ("leads.get member", lambda c, w: c.leads.get(w.lead_a1), outcomes(OK, OK, OK, OK), None),
    ("leads.get other", lambda c, w: c.leads.get(w.lead_a2), outcomes(OK, OK, OK, HIDDEN), None),
    (
        "leads.create",
        lambda c, w: c.leads.create(
            email="x@new.example", agency_id=AGENCY_A, campaign_id=CAMPAIGN_A1
        ),
        outcomes(OK, OK, OK, DENIED),
        "select count(*) from public.leads",
    ),
    (
        "leads.update",
        lambda c, w: c.leads.update(w.lead_a1, title="Changed"),
        outcomes(OK, OK, OK, DENIED),
        "select count(*) from public.leads where title = 'Changed'",
    ),
    (
        "leads.qualify",
        lambda c, w: c.leads.qualify(w.lead_a1),
        outcomes(OK, OK, OK, DENIED),
        "select count(*) from public.leads where qualified_at is not null",
    ),
    (
        "leads.record_contact",
        lambda c, w: c.leads.record_contact(w.lead_a1),
        outcomes(OK, OK, OK, DENIED),
        "select count(*) from public.leads where last_contacted_at is not null",
    ),
    (
        "leads.delete",
        lambda c, w: c.leads.delete(w.lead_a1),
        outcomes(OK, OK, DENIED, DENIED),
        "select count(*) from public.leads",
    ),
    ("leads.score", lambda c, w: c.leads.score(w.lead_a1), outcomes(OK, OK, OK, OK), None),
    # data sources
    (
        "data_sources.get",
        lambda c, w: c.data_sources.get(DATA_SOURCE_A),
        outcomes(OK, OK, OK, HIDDEN),
        None,
    ),
    (
        "data_sources.create",
        lambda c, w: c.data_sources.create(name="n", type="csv", agency_id=AGENCY_A),
        outcomes(OK, OK, DENIED, DENIED),
        "select count(*) from public.data_sources",
    ),
    (
        "data_sources.update",
        lambda c, w: c.data_sources.update(DATA_SOURCE_A, name="Renamed"),
        outcomes(OK, OK, DENIED, HIDDEN),
        f"select name from public.data_sources where id = '{DATA_SOURCE_A}'",
    ),
    (
        "data_sources.delete",
        lambda c, w: c.data_sources.delete(w.spare_source_a),
        outcomes(OK, OK, DENIED, HIDDEN),
        "select count(*) from public.data_sources",
    ),
    (
        "data_sources.test",
        lambda c, w: c.data_sources.test(DATA_SOURCE_A),
        outcomes(OK, OK, OK, HIDDEN),
        "select count(*) from public.data_sources where last_test_at is not null",
    ),
    (
        "read credentials column",
        lambda c, w: c._backend.select(Select("data_sources", ("id", "credentials"))),
        outcomes(DENIED, DENIED, DENIED, DENIED),
        None,
    ),
    # jobs
    ("jobs.get", lambda c, w: c.jobs.get(w.job_a), outcomes(OK, OK, OK, HIDDEN), None),
    (
        "jobs.create",
        lambda c, w: c.jobs.create(DATA_SOURCE_A, {"q": 1}),
        outcomes(OK, OK, OK, HIDDEN),
        "select count(*) from public.scraping_jobs",
    ),
    (
        "jobs.start",
        lambda c, w: c.jobs.start(w.job_a),
        outcomes(OK, OK, OK, HIDDEN),
        "select count(*) from public.scraping_jobs where run_after is not null",
    ),
    (
        "jobs.cancel",
        lambda c, w: c.jobs.cancel(w.job_a),
        outcomes(OK, OK, OK, HIDDEN),
        "select count(*) from public.scraping_jobs where status = 'cancelled'",
    ),
    # analytics
    (
        "analytics.overview",
        lambda c, w: c.analytics.overview(agency_id=AGENCY_A),
        outcomes(OK, OK, OK, DENIED),
        None,
    ),
    # the queue is the service role's
    (
        "queue.claim_next",
        lambda c, w: c.queue.claim_next("w"),
        outcomes(DENIED, DENIED, DENIED, DENIED),
        None,
    ),
    (
        "queue.add_logs",
        lambda c, w: c.queue.add_logs(w.job_a, AGENCY_A, [("info", "x", {})]),
        outcomes(DENIED, DENIED, DENIED, DENIED),
        "select count(*) from public.scraping_job_logs",
    ),
]


def _check(client: Dashin, world: World, call: Call, outcome: Outcome, role: str) -> None:
    if outcome is None:
        call(client, world)
        return
    with pytest.raises(APIError) as caught:
        call(client, world)
    assert type(caught.value) is outcome, f"{role}: {caught.value!r}"


READS = [pytest.param(c, e, id=n) for n, c, e, unchanged in CASES if unchanged is None]
WRITES = [pytest.param(c, e, u, id=n) for n, c, e, u in CASES if u is not None]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("call", "expected"), READS)
def test_role_matrix_reads(
    shared_dx: Dashin,
    shared_world: World,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    call: Call,
    expected: dict[str, Outcome],
) -> None:
    monkeypatch.setattr(connection_testers, "_registered", {"csv": _Tester()})
    _check(shared_dx.as_user(ROLES[role]), shared_world, call, expected[role], role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("call", "expected", "unchanged"), WRITES)
def test_role_matrix_writes(
    as_user: AsUser,
    conn: Conn,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    call: Call,
    expected: dict[str, Outcome],
    unchanged: str,
) -> None:
    monkeypatch.setattr(connection_testers, "_registered", {"csv": _Tester()})
    before = column(conn, unchanged)
    _check(as_user(ROLES[role]), world, call, expected[role], role)
    if expected[role] is not None:
        assert column(conn, unchanged) == before


# What each role's lists show, as the superuser's SQL over the same database.
VISIBLE: dict[str, dict[str, str]] = {
    "campaigns": {
        "super_admin": "select id from public.campaigns",
        "agency_admin": f"select id from public.campaigns where agency_id = '{AGENCY_A}'",
        "researcher": f"select id from public.campaigns where agency_id = '{AGENCY_A}'",
        "client": f"select campaign_id from public.campaign_members where user_id = '{CLIENT_A}'",
    },
    "leads": {
        "super_admin": "select id from public.leads",
        "agency_admin": f"select id from public.leads where agency_id = '{AGENCY_A}'",
        "researcher": f"select id from public.leads where agency_id = '{AGENCY_A}'",
        "client": "select id from public.leads where campaign_id in"
        f" (select campaign_id from public.campaign_members where user_id = '{CLIENT_A}')",
    },
    "data_sources": {
        "super_admin": "select id from public.data_sources",
        "agency_admin": f"select id from public.data_sources where agency_id = '{AGENCY_A}'",
        "researcher": f"select id from public.data_sources where agency_id = '{AGENCY_A}'",
        "client": "select id from public.data_sources where false",
    },
    "jobs": {
        "super_admin": "select id from public.scraping_jobs",
        "agency_admin": f"select id from public.scraping_jobs where agency_id = '{AGENCY_A}'",
        "researcher": f"select id from public.scraping_jobs where agency_id = '{AGENCY_A}'",
        "client": "select id from public.scraping_jobs where false",
    },
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", VISIBLE)
def test_lists_show_exactly_what_the_role_may_see(
    shared_dx: Dashin, shared_conn: Conn, shared_world: World, role: str, resource: str
) -> None:
    client = shared_dx.as_user(ROLES[role])
    first = getattr(client, resource).list(page_size=3)
    seen = [row.id for row in first.iter_all()]  # across many pages of 3
    assert len(seen) == len(set(seen))
    assert set(seen) == set(column(shared_conn, VISIBLE[resource][role]))
    assert first.meta.total == len(seen)


def test_job_logs_are_staff_only(dx: Dashin, as_user: AsUser, world: World) -> None:
    dx.queue.add_logs(world.job_a, AGENCY_A, [("info", "visible to staff", {})])
    for role, user in ROLES.items():
        total = as_user(user).jobs.logs(world.job_a).meta.total
        assert (total > 0) == (role != "client"), role


def test_each_user_sees_only_their_notifications(as_user: AsUser, conn: Conn) -> None:
    made = {
        role: factories.create_notification(conn, user, AGENCY_A, role)
        for role, user in ROLES.items()
    }
    for role, user in ROLES.items():
        client = as_user(user)
        ids = {n.id for n in client.notifications.list(page_size=100).data}
        assert ids == set(
            column(conn, "select id from public.notifications where user_id = %s", (user,))
        )
        others = [n for r, n in made.items() if r != role]
        assert client.notifications.mark_read(others) == 0
    assert column(conn, "select count(*) from public.notifications where read") == [0]


A_USERS = {role: user for role, user in ROLES.items() if role != "super_admin"}

# Agency B's rows through agency A's eyes: every one of these is NotFoundError.
CROSS_AGENCY: list[tuple[str, Call]] = [
    ("campaigns.get", lambda c, w: c.campaigns.get(CAMPAIGN_B1)),
    ("campaigns.update", lambda c, w: c.campaigns.update(CAMPAIGN_B1, name="mine now")),
    ("campaigns.delete", lambda c, w: c.campaigns.delete(CAMPAIGN_B1)),
    ("campaigns.analytics", lambda c, w: c.campaigns.analytics(CAMPAIGN_B1)),
    ("leads.get", lambda c, w: c.leads.get(w.lead_b)),
    ("leads.update", lambda c, w: c.leads.update(w.lead_b, title="x")),
    ("leads.delete", lambda c, w: c.leads.delete(w.lead_b)),
    ("leads.record_contact", lambda c, w: c.leads.record_contact(w.lead_b)),
    ("leads.score", lambda c, w: c.leads.score(w.lead_b)),
    ("data_sources.get", lambda c, w: c.data_sources.get(DATA_SOURCE_B)),
    ("data_sources.update", lambda c, w: c.data_sources.update(DATA_SOURCE_B, name="x")),
    ("data_sources.test", lambda c, w: c.data_sources.test(DATA_SOURCE_B)),
    ("jobs.get", lambda c, w: c.jobs.get(w.job_b)),
    ("jobs.create", lambda c, w: c.jobs.create(DATA_SOURCE_B, {})),
    ("jobs.start", lambda c, w: c.jobs.start(w.job_b)),
    ("jobs.cancel", lambda c, w: c.jobs.cancel(w.job_b)),
]


@pytest.mark.parametrize("role", A_USERS)
@pytest.mark.parametrize(("call"), [pytest.param(call, id=name) for name, call in CROSS_AGENCY])
def test_other_agency_is_not_found(
    shared_dx: Dashin,
    shared_world: World,
    monkeypatch: pytest.MonkeyPatch,
    role: str,
    call: Call,
) -> None:
    # The writes among these must fail, so the shared database stays as it was.
    monkeypatch.setattr(connection_testers, "_registered", {"apollo": _Tester()})
    with pytest.raises(NotFoundError):
        call(shared_dx.as_user(A_USERS[role]), shared_world)


@pytest.mark.parametrize("role", A_USERS)
def test_other_agency_never_appears_in_pages(
    as_user: AsUser, conn: Conn, world: World, role: str
) -> None:
    for _ in range(12):  # enough rows of agency B to span several pages of every list
        factories.create_lead(conn, AGENCY_B, CAMPAIGN_B1)
        factories.create_job(conn, AGENCY_B, DATA_SOURCE_B)
    client = as_user(A_USERS[role])
    b_ids = set(
        column(
            conn,
            "select id from public.campaigns where agency_id = %(b)s"
            " union all select id from public.leads where agency_id = %(b)s"
            " union all select id from public.data_sources where agency_id = %(b)s"
            " union all select id from public.scraping_jobs where agency_id = %(b)s",
            {"b": AGENCY_B},  # type: ignore[arg-type]
        )
    )
    for resource in ("campaigns", "leads", "data_sources", "jobs"):
        for sort_order in ("asc", "desc"):
            page = getattr(client, resource).list(page_size=4, sort_order=sort_order)
            seen = {row.id for row in page.iter_all()}
            assert not seen & b_ids, resource
    # Asking for agency B explicitly narrows to nothing rather than leaking it.
    assert client.leads.list(agency_id=AGENCY_B).meta.total == 0
    assert client.campaigns.list(agency_id=AGENCY_B).data == []
    with pytest.raises(PermissionDeniedError):
        client.analytics.overview(agency_id=AGENCY_B)
    assert UUID(world.lead_b) in b_ids
