"""One model per table, with exactly the columns an API role may read.

``tests/integration/sdk/test_models_schema.py`` compares every field with the live catalog (name,
nullability, enum values), so a migration that changes a column fails the suite until the model
follows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from dashin_sdk.models._base import Row
from dashin_sdk.models.enums import (
    AuditAction,
    CampaignStatus,
    DataSourceStatus,
    DataSourceType,
    JobStatus,
    LeadPriority,
    LeadStatus,
    LogLevel,
    NotificationType,
    QualificationStatus,
    UserRole,
)


class Agency(Row):
    id: UUID
    name: str
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class UserProfile(Row):
    id: UUID
    email: str | None
    agency_id: UUID | None
    role: UserRole
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class Campaign(Row):
    id: UUID
    agency_id: UUID
    name: str
    description: str | None
    status: CampaignStatus
    start_date: date | None
    end_date: date | None
    target_audience: dict[str, Any] = Field(default_factory=dict)
    leads_count: int
    qualified_leads_count: int
    contacted_count: int
    responded_count: int
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class CampaignMember(Row):
    campaign_id: UUID
    user_id: UUID
    agency_id: UUID
    created_at: datetime


class Lead(Row):
    id: UUID
    agency_id: UUID
    campaign_id: UUID | None
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    title: str | None
    linkedin_url: str | None
    phone: str | None
    source: str | None
    status: LeadStatus
    qualification_status: QualificationStatus
    qualification_reason: str | None
    priority: LeadPriority
    last_contacted_at: datetime | None
    last_responded_at: datetime | None
    qualified_at: datetime | None
    metadata: dict[str, Any] = Field(default_factory=dict)
    data_source_id: UUID | None
    scraping_job_id: UUID | None
    created_by: UUID | None
    assigned_to: UUID | None
    created_at: datetime
    updated_at: datetime


class DataSource(Row):
    """A data source as the API shows it: ``credentials`` are never read, only whether set."""

    id: UUID
    agency_id: UUID
    name: str
    type: DataSourceType
    status: DataSourceStatus
    config: dict[str, Any] = Field(default_factory=dict)
    has_credentials: bool | None
    last_test_at: datetime | None
    last_test_status: str | None
    last_test_error: str | None
    total_jobs: int
    successful_jobs: int
    failed_jobs: int
    total_records_scraped: int
    description: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class ScrapingJob(Row):
    id: UUID
    agency_id: UUID
    data_source_id: UUID
    campaign_id: UUID | None
    status: JobStatus
    progress: int
    records_processed: int
    records_qualified: int
    records_rejected: int
    config: dict[str, Any] = Field(default_factory=dict)
    search_criteria: dict[str, Any] = Field(default_factory=dict)
    result_file_url: str | None
    raw_data_url: str | None
    errors: list[Any] = Field(default_factory=list)
    error_count: int
    started_at: datetime | None
    completed_at: datetime | None
    duration_seconds: int | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    run_after: datetime | None
    worker_id: str | None
    lease_expires_at: datetime | None
    heartbeat_at: datetime | None
    attempts: int
    max_attempts: int
    checkpoint: dict[str, Any] | None


class ScrapingJobLog(Row):
    id: UUID
    job_id: UUID
    agency_id: UUID
    level: LogLevel
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class Notification(Row):
    id: UUID
    user_id: UUID
    agency_id: UUID | None
    type: NotificationType
    title: str
    message: str | None
    read: bool
    related_entity_type: str | None
    related_entity_id: UUID | None
    action_url: str | None
    action_label: str | None
    created_at: datetime


class AuditLogEntry(Row):
    id: int
    table_name: str
    row_id: UUID | None
    row_ids: list[UUID] | None  # every row an insert statement created (row_id is then null)
    action: AuditAction
    actor_id: UUID | None
    actor_role: str
    agency_id: UUID | None
    changes: dict[str, Any]
    created_at: datetime


def columns_of(model: type[Row]) -> tuple[str, ...]:
    """The columns to select for ``model``: its fields, in declaration order."""
    return tuple(model.model_fields)
