"""``dx.analytics``: the spec's /analytics endpoints, computed by SQL functions."""

from __future__ import annotations

from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.backend import AsyncBackend
from dashin_sdk._async.resources._base import AsyncResource, found
from dashin_sdk.models.analytics import (
    ANALYTICS_RANGES,
    LEAD_GROUPINGS,
    TIMELINE_GROUPINGS,
    AnalyticsOverview,
    AnalyticsRange,
    CampaignAnalytics,
    LeadAnalytics,
    LeadGrouping,
    TimelineGrouping,
)
from dashin_sdk.query import Rpc


class AsyncAnalytics(AsyncResource):
    async def overview(
        self,
        *,
        range: AnalyticsRange = "30d",
        agency_id: UUID | str | None = None,
    ) -> AnalyticsOverview:
        """``GET /analytics/overview``: the agency dashboard (super admins name the agency)."""
        args = {
            "range": v.choice("range", range, ANALYTICS_RANGES),
            "agency_id": v.optional_uuid("agency_id", agency_id),
        }
        return AnalyticsOverview.model_validate(
            await self._backend.rpc(Rpc("get_analytics_overview", args))
        )

    async def campaign(
        self,
        campaign_id: UUID | str,
        *,
        range: AnalyticsRange = "30d",
        group_by: TimelineGrouping = "day",
    ) -> CampaignAnalytics:
        """``GET /analytics/campaigns/:id``."""
        return await campaign_analytics(self._backend, campaign_id, range, group_by)

    async def leads(
        self,
        *,
        range: AnalyticsRange = "30d",
        group_by: LeadGrouping = "status",
        campaign_id: UUID | str | None = None,
        agency_id: UUID | str | None = None,
    ) -> LeadAnalytics:
        """``GET /analytics/leads``."""
        args = {
            "range": v.choice("range", range, ANALYTICS_RANGES),
            "group_by": v.choice("group_by", group_by, LEAD_GROUPINGS),
            "campaign_id": v.optional_uuid("campaign_id", campaign_id),
            "agency_id": v.optional_uuid("agency_id", agency_id),
        }
        result = await self._backend.rpc(Rpc("get_lead_analytics", args, read_only=True))
        return LeadAnalytics.model_validate(result)


async def campaign_analytics(
    backend: AsyncBackend,
    campaign_id: UUID | str,
    range: AnalyticsRange,
    group_by: TimelineGrouping,
) -> CampaignAnalytics:
    """``get_campaign_analytics``: shared by ``dx.analytics.campaign`` and
    ``dx.campaigns.analytics`` (the spec has both endpoints)."""
    args = {
        "campaign_id": v.uuid_arg("campaign_id", campaign_id),
        "range": v.choice("range", range, ANALYTICS_RANGES),
        "group_by": v.choice("group_by", group_by, TIMELINE_GROUPINGS),
    }
    result = await backend.rpc(Rpc("get_campaign_analytics", args, read_only=True))
    return CampaignAnalytics.model_validate(found(result, f"campaign {campaign_id}"))
