"""Every resource method over HTTP: the exact PostgREST request, and the typed result.

One table row per call; each runs against ``AsyncDashin`` and the generated ``Dashin`` as the
agency-A admin signed in through (doubled) Supabase Auth.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from dashin_sdk.models._base import Row
from dashin_sdk.models.analytics import (
    AnalyticsOverview,
    CampaignAnalytics,
    CampaignPerformance,
    LeadAnalytics,
)
from dashin_sdk.models.enums import JobStatus, LeadStatus
from dashin_sdk.models.tables import (
    Campaign,
    CampaignMember,
    DataSource,
    Lead,
    Notification,
    ScrapingJob,
    ScrapingJobLog,
    UserProfile,
    columns_of,
)
from tests.support import postgrest as pg
from tests.support.identity import ADMIN_A, AGENCY_A, CAMPAIGN_A1, CLIENT_A, DATA_SOURCE_A
from tests.unit.sdk_http.harness import Harness, params, sent

NOTHING = object()
U2 = "00000000-0000-4000-8000-000000000012"
L2 = "66666666-6666-4666-8666-000000000002"


def cols(model: type[Row]) -> str:
    return ",".join(columns_of(model))


def json_response(payload: Any) -> httpx.Response:
    return httpx.Response(200, json=payload)


@dataclass(frozen=True)
class Case:
    id: str
    action: Callable[[Any], Any]
    method: str
    path: str
    response: httpx.Response
    params: list[tuple[str, str]] = field(default_factory=list)
    prefer: str | None = None
    body: Any = NOTHING
    check: Callable[[Any], bool] = lambda result: result is None


def page_of(model: type[Row], total: int, has_more: bool) -> Callable[[Any], bool]:
    def check(page: Any) -> bool:
        return (
            all(isinstance(item, model) for item in page.data)
            and len(page.data) == 1
            and (page.meta.total, page.meta.has_more) == (total, has_more)
        )

    return check


def is_(model: type[Any], **expected: Any) -> Callable[[Any], bool]:
    def check(result: Any) -> bool:
        return isinstance(result, model) and all(
            getattr(result, name) == value for name, value in expected.items()
        )

    return check


def transition(verb: str) -> Callable[[Any], Any]:
    return lambda dx: getattr(dx.jobs, verb)(pg.JOB_ID)


ID_EQ_CAMPAIGN = ("id", f"eq.{CAMPAIGN_A1}")
ID_EQ_LEAD = ("id", f"eq.{pg.LEAD_ID}")
ID_EQ_SOURCE = ("id", f"eq.{DATA_SOURCE_A}")
ID_EQ_JOB = ("id", f"eq.{pg.JOB_ID}")
OWN_AGENCY = ("agency_id", f"eq.{AGENCY_A}")
RETURN = "return=representation"

CAMPAIGNS = [
    Case(
        "campaigns.list",
        lambda dx: dx.campaigns.list(
            status="active", search="saas", page=2, page_size=10, sort_by="name", sort_order="asc"
        ),
        "GET",
        "/rest/v1/campaigns",
        pg.rows([pg.campaign()], offset=10, total=11),
        [
            ("select", cols(Campaign)),
            OWN_AGENCY,
            ("status", "eq.active"),
            ("or", "(name.ilike.*saas*)"),
            ("order", "name.asc,id.asc"),
            ("offset", "10"),
            ("limit", "10"),
        ],
        prefer="count=exact",
        check=page_of(Campaign, 11, False),
    ),
    Case(
        "campaigns.get",
        lambda dx: dx.campaigns.get(CAMPAIGN_A1),
        "GET",
        "/rest/v1/campaigns",
        pg.rows([pg.campaign()]),
        [("select", cols(Campaign)), ID_EQ_CAMPAIGN, ("limit", "1")],
        check=is_(Campaign, name="Q1 SaaS CTOs", leads_count=12),
    ),
    Case(
        "campaigns.create",
        lambda dx: dx.campaigns.create(name="Spring", status="draft", start_date="2025-04-01"),
        "POST",
        "/rest/v1/campaigns",
        pg.created([pg.campaign(name="Spring", status="draft")]),
        [("select", cols(Campaign))],
        prefer=RETURN,
        body=[{"name": "Spring", "status": "draft", "start_date": "2025-04-01"}],
        check=is_(Campaign, name="Spring"),
    ),
    Case(
        "campaigns.update",
        lambda dx: dx.campaigns.update(CAMPAIGN_A1, status="paused"),
        "PATCH",
        "/rest/v1/campaigns",
        pg.rows([pg.campaign(status="paused")]),
        [ID_EQ_CAMPAIGN, ("select", cols(Campaign))],
        prefer=RETURN,
        body={"status": "paused"},
        check=is_(Campaign, status="paused"),
    ),
    Case(
        "campaigns.delete",
        lambda dx: dx.campaigns.delete(CAMPAIGN_A1),
        "DELETE",
        "/rest/v1/campaigns",
        pg.rows([{"id": CAMPAIGN_A1}]),
        [ID_EQ_CAMPAIGN, ("select", "id")],
        prefer=RETURN,
    ),
    Case(
        "campaigns.analytics",
        lambda dx: dx.campaigns.analytics(CAMPAIGN_A1, range="7d", group_by="week"),
        "POST",
        "/rest/v1/rpc/get_campaign_analytics",
        json_response(pg.campaign_analytics()),
        body={"campaign_id": CAMPAIGN_A1, "range": "7d", "group_by": "week"},
        check=lambda r: isinstance(r, CampaignAnalytics) and r.metrics.total_leads == 12,
    ),
    Case(
        "campaigns.performance",
        lambda dx: dx.campaigns.performance(CAMPAIGN_A1),
        "POST",
        "/rest/v1/rpc/get_campaign_performance",
        json_response(pg.campaign_performance()),
        body={"campaign_id": CAMPAIGN_A1},
        check=is_(CampaignPerformance, average_score=42.5),
    ),
    Case(
        "campaigns.members",
        lambda dx: dx.campaigns.members(CAMPAIGN_A1),
        "GET",
        "/rest/v1/campaign_members",
        pg.rows([pg.member()]),
        [
            ("select", cols(CampaignMember)),
            ("campaign_id", f"eq.{CAMPAIGN_A1}"),
            ("order", "created_at.asc"),
        ],
        check=lambda r: [str(m.user_id) for m in r] == [CLIENT_A],
    ),
    Case(
        "campaigns.remove_member",
        lambda dx: dx.campaigns.remove_member(CAMPAIGN_A1, CLIENT_A),
        "DELETE",
        "/rest/v1/campaign_members",
        pg.rows([{"user_id": CLIENT_A}]),
        [
            ("campaign_id", f"eq.{CAMPAIGN_A1}"),
            ("user_id", f"eq.{CLIENT_A}"),
            ("select", "user_id"),
        ],
        prefer=RETURN,
    ),
]

LEADS = [
    Case(
        "leads.list",
        lambda dx: dx.leads.list(
            campaign_id=CAMPAIGN_A1,
            status="new",
            qualification_status="pending",
            priority="high",
            assigned_to=U2,
            search="o'brien, jr",
            page_size=1,
            sort_by="last_contacted_at",
        ),
        "GET",
        "/rest/v1/leads",
        pg.rows([pg.lead()], total=3),
        [
            ("select", cols(Lead)),
            OWN_AGENCY,
            ("campaign_id", f"eq.{CAMPAIGN_A1}"),
            ("status", "eq.new"),
            ("qualification_status", "eq.pending"),
            ("priority", "eq.high"),
            ("assigned_to", f"eq.{U2}"),
            (
                "or",
                '(first_name.ilike."*o\'brien, jr*",last_name.ilike."*o\'brien, jr*",'
                'email.ilike."*o\'brien, jr*",company.ilike."*o\'brien, jr*")',
            ),
            ("order", "last_contacted_at.desc.nullslast,id.desc.nullslast"),
            ("limit", "1"),
        ],
        prefer="count=exact",
        check=page_of(Lead, 3, True),
    ),
    Case(
        "leads.get",
        lambda dx: dx.leads.get(pg.LEAD_ID),
        "GET",
        "/rest/v1/leads",
        pg.rows([pg.lead()]),
        [("select", cols(Lead)), ID_EQ_LEAD, ("limit", "1")],
        check=is_(Lead, email="ada@example.com", status=LeadStatus.NEW),
    ),
    Case(
        "leads.create",
        lambda dx: dx.leads.create(
            email="ada@example.com", campaign_id=CAMPAIGN_A1, priority="high"
        ),
        "POST",
        "/rest/v1/leads",
        pg.created([pg.lead(priority="high")]),
        [("select", cols(Lead))],
        prefer=RETURN,
        body=[{"email": "ada@example.com", "campaign_id": CAMPAIGN_A1, "priority": "high"}],
        check=is_(Lead, priority="high"),
    ),
    Case(
        "leads.update",
        lambda dx: dx.leads.update(pg.LEAD_ID, title="VP Eng", metadata={"k": [1, 2]}),
        "PATCH",
        "/rest/v1/leads",
        pg.rows([pg.lead(title="VP Eng")]),
        [ID_EQ_LEAD, ("select", cols(Lead))],
        prefer=RETURN,
        body={"title": "VP Eng", "metadata": {"k": [1, 2]}},
        check=is_(Lead, title="VP Eng"),
    ),
    Case(
        "leads.delete",
        lambda dx: dx.leads.delete(pg.LEAD_ID),
        "DELETE",
        "/rest/v1/leads",
        pg.rows([{"id": pg.LEAD_ID}]),
        [ID_EQ_LEAD, ("select", "id")],
        prefer=RETURN,
    ),
    Case(
        "leads.qualify",
        lambda dx: dx.leads.qualify(pg.LEAD_ID, "disqualified", "no budget"),
        "PATCH",
        "/rest/v1/leads",
        pg.rows([pg.lead(qualification_status="disqualified", qualified_at=pg.TS)]),
        [ID_EQ_LEAD, ("select", cols(Lead))],
        prefer=RETURN,
        body={"qualification_status": "disqualified", "qualification_reason": "no budget"},
        check=lambda r: r.qualified_at is not None,
    ),
    Case(
        "leads.assign",
        lambda dx: dx.leads.assign(pg.LEAD_ID, U2),
        "PATCH",
        "/rest/v1/leads",
        pg.rows([pg.lead(assigned_to=U2)]),
        [ID_EQ_LEAD, ("select", cols(Lead))],
        prefer=RETURN,
        body={"assigned_to": U2},
        check=lambda r: str(r.assigned_to) == U2,
    ),
    Case(
        "leads.assign(None)",
        lambda dx: dx.leads.assign(pg.LEAD_ID, None),
        "PATCH",
        "/rest/v1/leads",
        pg.rows([pg.lead()]),
        [ID_EQ_LEAD, ("select", cols(Lead))],
        prefer=RETURN,
        body={"assigned_to": None},
        check=lambda r: r.assigned_to is None,
    ),
    Case(
        "leads.record_contact",
        lambda dx: dx.leads.record_contact(pg.LEAD_ID, channel="email", note="hi", responded=True),
        "POST",
        "/rest/v1/rpc/record_lead_contact",
        json_response(pg.lead(status="responded", last_contacted_at=pg.TS)),
        body={"lead_id": pg.LEAD_ID, "channel": "email", "note": "hi", "responded": True},
        check=is_(Lead, status="responded"),
    ),
    Case(
        "leads.record_contact(array)",
        lambda dx: dx.leads.record_contact(pg.LEAD_ID),
        "POST",
        "/rest/v1/rpc/record_lead_contact",
        json_response([pg.lead(status="contacted")]),
        body={"lead_id": pg.LEAD_ID, "channel": None, "note": None, "responded": False},
        check=is_(Lead, status="contacted"),
    ),
    Case(
        "leads.bulk_update",
        lambda dx: dx.leads.bulk_update([pg.LEAD_ID, L2], status="contacted", priority="high"),
        "PATCH",
        "/rest/v1/leads",
        pg.rows([{"id": pg.LEAD_ID}, {"id": L2}]),
        [("id", f"in.({pg.LEAD_ID},{L2})"), ("select", "id")],
        prefer=RETURN,
        body={"status": "contacted", "priority": "high"},
        check=lambda r: r == 2,
    ),
    Case(
        "leads.score",
        lambda dx: dx.leads.score(pg.LEAD_ID),
        "POST",
        "/rest/v1/rpc/calculate_lead_score",
        json_response(73),
        body={"lead_id": pg.LEAD_ID},
        check=lambda r: r == 73,
    ),
]

DATA_SOURCES = [
    Case(
        "data_sources.list",
        lambda dx: dx.data_sources.list(type="apollo", status="active", search="demo"),
        "GET",
        "/rest/v1/data_sources",
        pg.rows([pg.data_source()], total=1),
        [
            ("select", cols(DataSource)),
            OWN_AGENCY,
            ("type", "eq.apollo"),
            ("status", "eq.active"),
            ("or", "(name.ilike.*demo*)"),
            ("order", "created_at.desc.nullslast,id.desc.nullslast"),
            ("limit", "20"),
        ],
        prefer="count=exact",
        check=page_of(DataSource, 1, False),
    ),
    Case(
        "data_sources.get",
        lambda dx: dx.data_sources.get(DATA_SOURCE_A),
        "GET",
        "/rest/v1/data_sources",
        pg.rows([pg.data_source()]),
        [("select", cols(DataSource)), ID_EQ_SOURCE, ("limit", "1")],
        check=is_(DataSource, has_credentials=True, total_records_scraped=250),
    ),
    Case(
        "data_sources.update",
        lambda dx: dx.data_sources.update(DATA_SOURCE_A, name="Apollo EU", config={"region": "eu"}),
        "PATCH",
        "/rest/v1/data_sources",
        pg.rows([pg.data_source(name="Apollo EU")]),
        [ID_EQ_SOURCE, ("select", cols(DataSource))],
        prefer=RETURN,
        body={"name": "Apollo EU", "config": {"region": "eu"}},
        check=is_(DataSource, name="Apollo EU"),
    ),
    Case(
        "data_sources.delete",
        lambda dx: dx.data_sources.delete(DATA_SOURCE_A),
        "DELETE",
        "/rest/v1/data_sources",
        pg.rows([{"id": DATA_SOURCE_A}]),
        [ID_EQ_SOURCE, ("select", "id")],
        prefer=RETURN,
    ),
    Case(
        "data_sources.jobs",
        lambda dx: dx.data_sources.jobs(DATA_SOURCE_A, status="failed", page=3, page_size=5),
        "GET",
        "/rest/v1/scraping_jobs",
        pg.rows([pg.job(status="failed")], offset=10, total=11),
        [
            ("select", cols(ScrapingJob)),
            ("data_source_id", f"eq.{DATA_SOURCE_A}"),
            ("status", "eq.failed"),
            ("order", "created_at.desc.nullslast,id.desc.nullslast"),
            ("offset", "10"),
            ("limit", "5"),
        ],
        prefer="count=exact",
        check=page_of(ScrapingJob, 11, False),
    ),
]

JOBS = [
    Case(
        "jobs.list",
        lambda dx: dx.jobs.list(
            status="running",
            data_source_id=DATA_SOURCE_A,
            campaign_id=CAMPAIGN_A1,
            sort_by="progress",
        ),
        "GET",
        "/rest/v1/scraping_jobs",
        pg.rows([pg.job(status="running")], total=1),
        [
            ("select", cols(ScrapingJob)),
            OWN_AGENCY,
            ("status", "eq.running"),
            ("data_source_id", f"eq.{DATA_SOURCE_A}"),
            ("campaign_id", f"eq.{CAMPAIGN_A1}"),
            ("order", "progress.desc.nullslast,id.desc.nullslast"),
            ("limit", "20"),
        ],
        prefer="count=exact",
        check=page_of(ScrapingJob, 1, False),
    ),
    Case(
        "jobs.get",
        lambda dx: dx.jobs.get(pg.JOB_ID),
        "GET",
        "/rest/v1/scraping_jobs",
        pg.rows([pg.job()]),
        [("select", cols(ScrapingJob)), ID_EQ_JOB, ("limit", "1")],
        check=is_(ScrapingJob, status=JobStatus.PENDING),
    ),
    *[
        Case(
            f"jobs.{verb}",
            transition(verb),
            "POST",
            f"/rest/v1/rpc/{verb}_job",
            json_response(pg.job(status=status)),
            body={"job_id": pg.JOB_ID},
            check=is_(ScrapingJob, status=status),
        )
        for verb, status in [
            ("start", "pending"),
            ("pause", "paused"),
            ("resume", "pending"),
            ("cancel", "cancelled"),
        ]
    ],
    Case(
        "jobs.logs",
        lambda dx: dx.jobs.logs(pg.JOB_ID, level="error", page=2),
        "GET",
        "/rest/v1/scraping_job_logs",
        pg.rows([pg.job_log(level="error")], offset=50, total=51),
        [
            ("select", cols(ScrapingJobLog)),
            ("job_id", f"eq.{pg.JOB_ID}"),
            ("level", "eq.error"),
            ("order", "created_at.asc,id.asc"),
            ("offset", "50"),
            ("limit", "50"),
        ],
        prefer="count=exact",
        check=page_of(ScrapingJobLog, 51, False),
    ),
]

ANALYTICS = [
    Case(
        "analytics.overview",
        lambda dx: dx.analytics.overview(range="7d"),
        "POST",
        "/rest/v1/rpc/get_analytics_overview",
        json_response(pg.analytics_overview()),
        body={"range": "7d", "agency_id": None},
        check=lambda r: isinstance(r, AnalyticsOverview) and r.overview.leads.total == 40,
    ),
    Case(
        "analytics.campaign",
        lambda dx: dx.analytics.campaign(CAMPAIGN_A1, range="90d", group_by="month"),
        "POST",
        "/rest/v1/rpc/get_campaign_analytics",
        json_response(pg.campaign_analytics()),
        body={"campaign_id": CAMPAIGN_A1, "range": "90d", "group_by": "month"},
        check=lambda r: isinstance(r, CampaignAnalytics) and len(r.timeline) == 1,
    ),
    Case(
        "analytics.leads",
        lambda dx: dx.analytics.leads(range="1y", group_by="campaign", campaign_id=CAMPAIGN_A1),
        "POST",
        "/rest/v1/rpc/get_lead_analytics",
        json_response(pg.lead_analytics()),
        body={"range": "1y", "group_by": "campaign", "campaign_id": CAMPAIGN_A1, "agency_id": None},
        check=lambda r: isinstance(r, LeadAnalytics) and r.top_campaigns[0].leads_count == 12,
    ),
]

NOTIFICATIONS = [
    Case(
        "notifications.list",
        lambda dx: dx.notifications.list(unread_only=True, page_size=5),
        "GET",
        "/rest/v1/notifications",
        pg.rows([pg.notification()], total=1),
        [
            ("select", cols(Notification)),
            ("user_id", f"eq.{ADMIN_A}"),
            ("read", "eq.false"),
            ("order", "created_at.desc.nullslast,id.desc.nullslast"),
            ("limit", "5"),
        ],
        prefer="count=exact",
        check=page_of(Notification, 1, False),
    ),
    Case(
        "notifications.mark_read",
        lambda dx: dx.notifications.mark_read([pg.NOTIFICATION_ID]),
        "PATCH",
        "/rest/v1/notifications",
        pg.rows([{"id": pg.NOTIFICATION_ID}]),
        [("id", f"in.({pg.NOTIFICATION_ID})"), ("read", "eq.false"), ("select", "id")],
        prefer=RETURN,
        body={"read": True},
        check=lambda r: r == 1,
    ),
    Case(
        "auth.current_user",
        lambda dx: dx.auth.current_user(),
        "GET",
        "/rest/v1/user_profiles",
        pg.rows([pg.user_profile(ADMIN_A)]),
        [("select", cols(UserProfile)), ("id", f"eq.{ADMIN_A}"), ("limit", "1")],
        check=is_(UserProfile, role="agency_admin"),
    ),
]

ALL = CAMPAIGNS + LEADS + DATA_SOURCES + JOBS + ANALYTICS + NOTIFICATIONS


def assert_request(request: httpx.Request, case: Case, token: str, key: str) -> None:
    assert (request.method, request.url.path) == (case.method, case.path)
    assert params(request) == case.params
    assert request.headers.get("Prefer") == case.prefer
    assert request.headers["Authorization"] == f"Bearer {token}"
    assert request.headers["apikey"] == key
    if case.body is not NOTHING:
        assert json.loads(request.content) == case.body


@pytest.mark.parametrize("case", ALL, ids=[case.id for case in ALL])
def test_resource_call_sends_the_exact_request(h: Harness, case: Case) -> None:
    dx = h.signed_in(ADMIN_A)
    # Same name, same route: replaces the sign-in's profile double instead of queueing behind it.
    name = "profiles" if case.path == "/rest/v1/user_profiles" else None
    route = h.api.route(method=case.method, path=case.path, name=name)
    route.mock(return_value=case.response)
    result = h.call(dx, case.action)
    assert route.call_count == 1
    assert_request(sent(route), case, pg.user_token(ADMIN_A), pg.ANON_KEY)
    assert case.check(result), result
