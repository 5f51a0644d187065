"""Arguments of create / update calls, validated before any request is sent."""

from __future__ import annotations

from datetime import date
from typing import Any, Self
from uuid import UUID

from pydantic import EmailStr, Field, model_validator

from dashin_sdk.models._base import Input
from dashin_sdk.models.enums import (
    CampaignStatus,
    DataSourceStatus,
    DataSourceType,
    LeadPriority,
    LeadStatus,
    QualificationStatus,
)

NonEmpty = Field(min_length=1, max_length=500)


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError("end_date must not be before start_date")


class CampaignCreate(Input):
    name: str = NonEmpty
    description: str | None = None
    status: CampaignStatus | None = None
    start_date: date | None = None
    end_date: date | None = None
    target_audience: dict[str, Any] | None = None
    agency_id: UUID | None = None  # super admins choose; everyone else gets their own

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.start_date, self.end_date)
        return self


class CampaignUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    status: CampaignStatus | None = None
    start_date: date | None = None
    end_date: date | None = None
    target_audience: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        _check_dates(self.start_date, self.end_date)
        return self


class LeadFields(Input):
    email: EmailStr | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    linkedin_url: str | None = None
    phone: str | None = None
    source: str | None = None
    status: LeadStatus | None = None
    qualification_status: QualificationStatus | None = None
    qualification_reason: str | None = None
    priority: LeadPriority | None = None
    metadata: dict[str, Any] | None = None
    assigned_to: UUID | None = None
    campaign_id: UUID | None = None


class LeadCreate(LeadFields):
    agency_id: UUID | None = None
    data_source_id: UUID | None = None
    scraping_job_id: UUID | None = None

    @model_validator(mode="after")
    def _identifiable(self) -> Self:
        # Same rule as upsert_leads: a lead must be findable again.
        has_name = bool(self.first_name or self.last_name) and bool(self.company)
        if not (self.email or self.linkedin_url or has_name):
            raise ValueError("a lead needs an email, a linkedin_url, or a name and a company")
        return self


class LeadUpdate(LeadFields):
    pass


class DataSourceCreate(Input):
    name: str = NonEmpty
    type: DataSourceType
    description: str | None = None
    config: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    status: DataSourceStatus | None = None
    agency_id: UUID | None = None


class DataSourceUpdate(Input):
    name: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = None
    config: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    status: DataSourceStatus | None = None


class JobCreate(Input):
    data_source_id: UUID
    search_criteria: dict[str, Any]
    campaign_id: UUID | None = None
    config: dict[str, Any] | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=100)


class BulkLeadUpdate(Input):
    status: LeadStatus | None = None
    priority: LeadPriority | None = None
    assigned_to: UUID | None = None
