"""Results of SQL functions: analytics in the spec's response shapes, upserts, scores.

The spec's JSON uses camelCase (``conversionRate``); the models keep those names on the wire
(aliases) and offer snake_case attributes in Python.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, get_args
from uuid import UUID

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from dashin_sdk.models.enums import CampaignStatus

AnalyticsRange = Literal["7d", "30d", "90d", "1y"]
TimelineGrouping = Literal["day", "week", "month"]
LeadGrouping = Literal["status", "qualification", "campaign", "source"]
# The same values for run-time checks, before a request is sent.
ANALYTICS_RANGES: tuple[str, ...] = get_args(AnalyticsRange)
TIMELINE_GROUPINGS: tuple[str, ...] = get_args(TimelineGrouping)
LEAD_GROUPINGS: tuple[str, ...] = get_args(LeadGrouping)


class SpecShape(BaseModel):
    """A JSON document in the spec's camelCase, read with snake_case attribute names."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=to_camel),
    )


class CampaignCounts(SpecShape):
    total: int
    active: int
    inactive: int


class LeadCounts(SpecShape):
    total: int
    qualified: int
    contacted: int
    responded: int
    converted: int = 0
    conversion_rate: float
    response_rate: float


class DataSourceCounts(SpecShape):
    total: int
    active: int
    inactive: int


class ScrapingCounts(SpecShape):
    total_jobs: int
    successful_jobs: int
    running_jobs: int
    pending_jobs: int
    total_records_scraped: int


class Trends(SpecShape):
    leads: float


class Overview(SpecShape):
    campaigns: CampaignCounts
    leads: LeadCounts
    data_sources: DataSourceCounts
    scraping: ScrapingCounts
    trends: Trends


class DateRange(SpecShape):
    start: datetime
    end: datetime
    range: AnalyticsRange


class AnalyticsOverview(SpecShape):
    """``GET /analytics/overview``."""

    overview: Overview
    date_range: DateRange


class CampaignRef(SpecShape):
    id: UUID
    name: str
    status: CampaignStatus
    created_at: datetime = Field(validation_alias="created_at", serialization_alias="created_at")


class CampaignMetrics(SpecShape):
    total_leads: int
    qualified_leads: int
    qualification_rate: float
    response_rate: float


class TimelinePoint(SpecShape):
    date: date
    total_leads: int
    qualified: int
    contacted: int
    responded: int


class Distribution(SpecShape):
    status: dict[str, int]
    qualification: dict[str, int]


class CampaignAnalytics(SpecShape):
    """``GET /analytics/campaigns/:id`` (and ``GET /campaigns/:id/analytics``)."""

    campaign: CampaignRef
    metrics: CampaignMetrics
    timeline: list[TimelinePoint]
    distribution: Distribution


class LeadMetrics(SpecShape):
    total: int
    qualified: int
    disqualified: int
    qualification_rate: float
    response_rate: float


class TopCampaign(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    id: UUID
    name: str
    status: CampaignStatus
    leads_count: int
    qualified_leads_count: int
    contacted_count: int
    responded_count: int


class LeadAnalytics(SpecShape):
    """``GET /analytics/leads``."""

    metrics: LeadMetrics
    status_breakdown: dict[str, int]
    grouped_data: dict[str, int]
    top_campaigns: list[TopCampaign]


class CampaignPerformance(BaseModel):
    """``get_campaign_performance(campaign_id)``: the view's row plus breakdowns."""

    model_config = ConfigDict(frozen=True, extra="allow")

    campaign_id: UUID
    agency_id: UUID
    name: str
    status: CampaignStatus
    leads_count: int
    qualified_leads_count: int
    contacted_count: int
    responded_count: int
    converted_count: int
    disqualified_count: int
    qualification_rate: float
    contact_rate: float
    response_rate: float
    conversion_rate: float
    average_score: float | None
    status_breakdown: dict[str, int]
    priority_breakdown: dict[str, int]


class LeadRejection(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int
    reason: str


class LeadUpsertResult(BaseModel):
    """What ``upsert_leads`` did with a batch; ``rejections`` name each refused record."""

    model_config = ConfigDict(frozen=True)

    inserted: int
    updated: int
    unchanged: int
    rejected: int
    rejections: list[LeadRejection]


class ConnectionTestResult(BaseModel):
    """``POST /data-sources/:id/test``."""

    model_config = ConfigDict(frozen=True)

    success: bool
    message: str
    timestamp: datetime


def as_json(model: BaseModel) -> dict[str, Any]:
    """The model in the spec's wire shape (camelCase where the spec uses it)."""
    return model.model_dump(mode="json", by_alias=True)
