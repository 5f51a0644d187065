"""Realistic PostgREST and Supabase Auth responses for tests that double the HTTP APIs.

Rows look like PostgREST sends them: uuids and ISO timestamps as strings, enums as their text,
``Content-Range`` on counted reads, ``{code, message, details, hint}`` error bodies. Auth
responses follow GoTrue's token endpoint (``/auth/v1/token``).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx

from tests.support.identity import (
    ADMIN_A,
    AGENCY_A,
    CAMPAIGN_A1,
    CLIENT_A,
    DATA_SOURCE_A,
    RESEARCHER_A,
)

URL = "https://dashin-test.supabase.co"
REST = f"{URL}/rest/v1"
AUTH = f"{URL}/auth/v1"
TS = "2025-03-01T12:00:00.123456+00:00"
JOB_ID = "55555555-5555-4555-8555-000000000001"
LEAD_ID = "66666666-6666-4666-8666-000000000001"
NOTIFICATION_ID = "77777777-7777-4777-8777-000000000001"


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned-looking JWT carrying ``claims`` (the SDK never verifies, the server does)."""

    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


ANON_KEY = jwt({"iss": "supabase", "role": "anon", "exp": 4102444800})
SERVICE_KEY = jwt({"iss": "supabase", "role": "service_role", "exp": 4102444800})


def user_token(user_id: str, *, generation: int = 1) -> str:
    return jwt({"sub": user_id, "role": "authenticated", "aud": "authenticated", "g": generation})


def rows(
    data: list[dict[str, Any]], *, offset: int = 0, total: int | None = None
) -> httpx.Response:
    """A read's response; with ``total``, the ``Content-Range`` of ``Prefer: count=exact``."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if total is not None:
        span = f"{offset}-{offset + len(data) - 1}" if data else "*"
        headers["Content-Range"] = f"{span}/{total}"
    return httpx.Response(200, json=data, headers=headers)


def created(data: list[dict[str, Any]]) -> httpx.Response:
    return httpx.Response(201, json=data, headers={"Content-Range": "*/*"})


def error(
    status: int,
    code: str,
    message: str,
    *,
    details: str | None = None,
    hint: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body = {"code": code, "message": message, "details": details, "hint": hint}
    return httpx.Response(status, json=body, headers=headers)


def campaign(**overrides: Any) -> dict[str, Any]:
    return {
        "id": CAMPAIGN_A1,
        "agency_id": AGENCY_A,
        "name": "Q1 SaaS CTOs",
        "description": "CTOs of SaaS companies",
        "status": "active",
        "start_date": "2025-01-01",
        "end_date": None,
        "target_audience": {"titles": ["CTO"]},
        "leads_count": 12,
        "qualified_leads_count": 3,
        "contacted_count": 5,
        "responded_count": 1,
        "created_by": ADMIN_A,
        "created_at": TS,
        "updated_at": TS,
        **overrides,
    }


def member(**overrides: Any) -> dict[str, Any]:
    return {
        "campaign_id": CAMPAIGN_A1,
        "user_id": CLIENT_A,
        "agency_id": AGENCY_A,
        "created_at": TS,
        **overrides,
    }


def lead(**overrides: Any) -> dict[str, Any]:
    return {
        "id": LEAD_ID,
        "agency_id": AGENCY_A,
        "campaign_id": CAMPAIGN_A1,
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "company": "Analytical Engines",
        "title": "CTO",
        "linkedin_url": None,
        "phone": None,
        "source": "manual",
        "status": "new",
        "qualification_status": "pending",
        "qualification_reason": None,
        "priority": "medium",
        "last_contacted_at": None,
        "last_responded_at": None,
        "qualified_at": None,
        "metadata": {},
        "data_source_id": None,
        "scraping_job_id": None,
        "created_by": RESEARCHER_A,
        "assigned_to": None,
        "created_at": TS,
        "updated_at": TS,
        **overrides,
    }


def data_source(**overrides: Any) -> dict[str, Any]:
    return {
        "id": DATA_SOURCE_A,
        "agency_id": AGENCY_A,
        "name": "Apollo (demo)",
        "type": "apollo",
        "status": "active",
        "config": {"per_page": 100},
        "has_credentials": True,
        "last_test_at": None,
        "last_test_status": None,
        "last_test_error": None,
        "total_jobs": 2,
        "successful_jobs": 1,
        "failed_jobs": 0,
        "total_records_scraped": 250,
        "description": None,
        "created_by": ADMIN_A,
        "created_at": TS,
        "updated_at": TS,
        **overrides,
    }


def job(**overrides: Any) -> dict[str, Any]:
    return {
        "id": JOB_ID,
        "agency_id": AGENCY_A,
        "data_source_id": DATA_SOURCE_A,
        "campaign_id": CAMPAIGN_A1,
        "status": "pending",
        "progress": 0,
        "records_processed": 0,
        "records_qualified": 0,
        "records_rejected": 0,
        "config": {},
        "search_criteria": {"title": "CTO"},
        "result_file_url": None,
        "raw_data_url": None,
        "errors": [],
        "error_count": 0,
        "started_at": None,
        "completed_at": None,
        "duration_seconds": None,
        "created_by": RESEARCHER_A,
        "created_at": TS,
        "updated_at": TS,
        "run_after": None,
        "worker_id": None,
        "lease_expires_at": None,
        "heartbeat_at": None,
        "attempts": 0,
        "max_attempts": 3,
        "checkpoint": None,
        **overrides,
    }


def job_log(**overrides: Any) -> dict[str, Any]:
    return {
        "id": "88888888-8888-4888-8888-000000000001",
        "job_id": JOB_ID,
        "agency_id": AGENCY_A,
        "level": "info",
        "message": "batch 1 committed",
        "details": {"records": 100},
        "created_at": TS,
        **overrides,
    }


def notification(**overrides: Any) -> dict[str, Any]:
    return {
        "id": NOTIFICATION_ID,
        "user_id": ADMIN_A,
        "agency_id": AGENCY_A,
        "type": "success",
        "title": "Job completed",
        "message": "250 records",
        "read": False,
        "related_entity_type": "scraping_job",
        "related_entity_id": JOB_ID,
        "action_url": None,
        "action_label": None,
        "created_at": TS,
        **overrides,
    }


def user_profile(user_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "email": "admin@demo.dashin.test",
        "agency_id": AGENCY_A,
        "role": "agency_admin",
        "settings": {},
        "created_at": TS,
        "updated_at": TS,
        **overrides,
    }


def campaign_analytics() -> dict[str, Any]:
    return {
        "campaign": {
            "id": CAMPAIGN_A1,
            "name": "Q1 SaaS CTOs",
            "status": "active",
            "created_at": TS,
        },
        "metrics": {
            "totalLeads": 12,
            "qualifiedLeads": 3,
            "qualificationRate": 25.0,
            "responseRate": 8.33,
        },
        "timeline": [
            {"date": "2025-03-01", "totalLeads": 4, "qualified": 1, "contacted": 2, "responded": 0}
        ],
        "distribution": {"status": {"new": 7, "contacted": 5}, "qualification": {"pending": 9}},
    }


def campaign_performance() -> dict[str, Any]:
    return {
        "campaign_id": CAMPAIGN_A1,
        "agency_id": AGENCY_A,
        "name": "Q1 SaaS CTOs",
        "status": "active",
        "leads_count": 12,
        "qualified_leads_count": 3,
        "contacted_count": 5,
        "responded_count": 1,
        "converted_count": 0,
        "disqualified_count": 1,
        "qualification_rate": 25.0,
        "contact_rate": 41.67,
        "response_rate": 8.33,
        "conversion_rate": 0.0,
        "average_score": 42.5,
        "status_breakdown": {"new": 7},
        "priority_breakdown": {"medium": 12},
    }


def analytics_overview() -> dict[str, Any]:
    return {
        "overview": {
            "campaigns": {"total": 3, "active": 2, "inactive": 1},
            "leads": {
                "total": 40,
                "qualified": 10,
                "contacted": 20,
                "responded": 5,
                "converted": 1,
                "conversionRate": 2.5,
                "responseRate": 25.0,
            },
            "dataSources": {"total": 1, "active": 1, "inactive": 0},
            "scraping": {
                "totalJobs": 2,
                "successfulJobs": 1,
                "runningJobs": 0,
                "pendingJobs": 1,
                "totalRecordsScraped": 250,
            },
            "trends": {"leads": 12.5},
        },
        "dateRange": {"start": "2025-02-22T12:00:00+00:00", "end": TS, "range": "7d"},
    }


def lead_analytics() -> dict[str, Any]:
    return {
        "metrics": {
            "total": 40,
            "qualified": 10,
            "disqualified": 4,
            "qualificationRate": 25.0,
            "responseRate": 12.5,
        },
        "statusBreakdown": {"new": 30, "contacted": 10},
        "groupedData": {"new": 30, "contacted": 10},
        "topCampaigns": [
            {
                "id": CAMPAIGN_A1,
                "name": "Q1 SaaS CTOs",
                "status": "active",
                "leads_count": 12,
                "qualified_leads_count": 3,
                "contacted_count": 5,
                "responded_count": 1,
            }
        ],
    }


def gotrue_session(
    user_id: str,
    *,
    access_token: str | None = None,
    refresh_token: str = "refresh-1",  # noqa: S107 - a test double
    expires_in: int = 3600,
    email: str = "admin@demo.dashin.test",
    issued_at: float | None = None,
) -> dict[str, Any]:
    """GoTrue's ``POST /token`` body (password and refresh_token grants)."""
    return {
        "access_token": access_token or user_token(user_id),
        "token_type": "bearer",
        "expires_in": expires_in,
        "expires_at": int(time.time() if issued_at is None else issued_at) + expires_in,
        "refresh_token": refresh_token,
        "user": {
            "id": user_id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": email,
            "app_metadata": {"provider": "email", "providers": ["email"]},
            "user_metadata": {},
            "created_at": TS,
        },
    }


def gotrue_error(status: int, error_code: str, msg: str) -> httpx.Response:
    """GoTrue's error body (``error_code`` + ``msg``)."""
    return httpx.Response(status, json={"code": status, "error_code": error_code, "msg": msg})
