"""``dx.campaigns``: the spec's /campaigns endpoints, plus client membership."""

from __future__ import annotations

import builtins
from typing import Any
from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.page import AsyncPage
from dashin_sdk._async.resources._base import AsyncResource, found
from dashin_sdk._async.resources.analytics import campaign_analytics
from dashin_sdk.models._base import validate_input
from dashin_sdk.models.analytics import (
    AnalyticsRange,
    CampaignAnalytics,
    CampaignPerformance,
    TimelineGrouping,
)
from dashin_sdk.models.enums import CampaignStatus
from dashin_sdk.models.inputs import CampaignCreate, CampaignUpdate
from dashin_sdk.models.tables import Campaign, CampaignMember, columns_of
from dashin_sdk.query import Condition, Delete, Insert, Order, Rpc, Select, eq
from dashin_sdk.query import search as text_search

SORTABLE = ("created_at", "updated_at", "name", "status", "start_date", "end_date", "leads_count")


class AsyncCampaigns(AsyncResource):
    table = "campaigns"

    async def list(
        self,
        *,
        status: CampaignStatus | str | None = None,
        search: str | None = None,
        page: int = 1,
        page_size: int = 20,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        agency_id: UUID | str | None = None,
    ) -> AsyncPage[Campaign]:
        """``GET /campaigns``: a page of the campaigns this identity may see."""
        filters: builtins.list[Condition] = []
        if status is not None:
            filters.append(eq("status", v.enum_arg("status", CampaignStatus, status)))
        if search:
            filters.append(text_search(["name"], v.text_arg("search", search)))
        return await self._list_page(
            Campaign, filters, page, page_size, (sort_by, sort_order, SORTABLE), agency_id
        )

    async def get(self, campaign_id: UUID | str) -> Campaign:
        return await self._get(Campaign, v.uuid_arg("campaign_id", campaign_id))

    async def create(self, *, name: str, **fields: Any) -> Campaign:
        """``POST /campaigns/create``; ``agency_id`` defaults to the caller's agency."""
        payload = validate_input(CampaignCreate, {"name": name, **fields}).to_payload()
        rows = await self._backend.mutate(Insert(self.table, (payload,), columns_of(Campaign)))
        return Campaign.model_validate(rows[0])

    async def update(self, campaign_id: UUID | str, **fields: Any) -> Campaign:
        payload = validate_input(CampaignUpdate, fields).to_payload()
        return await self._update(Campaign, v.uuid_arg("campaign_id", campaign_id), payload)

    async def delete(self, campaign_id: UUID | str) -> None:
        await self._delete(v.uuid_arg("campaign_id", campaign_id))

    async def analytics(
        self,
        campaign_id: UUID | str,
        *,
        range: AnalyticsRange = "30d",
        group_by: TimelineGrouping = "day",
    ) -> CampaignAnalytics:
        """``GET /campaigns/:id/analytics``: metrics, timeline and distributions."""
        return await campaign_analytics(self._backend, campaign_id, range, group_by)

    async def performance(self, campaign_id: UUID | str) -> CampaignPerformance:
        """``get_campaign_performance``: counters, rates and breakdowns of one campaign."""
        args = {"campaign_id": v.uuid_arg("campaign_id", campaign_id)}
        result = await self._backend.rpc(Rpc("get_campaign_performance", args, read_only=True))
        return CampaignPerformance.model_validate(found(result, f"campaign {campaign_id}"))

    async def members(self, campaign_id: UUID | str) -> builtins.list[CampaignMember]:
        query = Select(
            "campaign_members",
            columns_of(CampaignMember),
            (eq("campaign_id", v.uuid_arg("campaign_id", campaign_id)),),
            (Order("created_at"),),
        )
        return [CampaignMember.model_validate(r) for r in (await self._backend.select(query)).rows]

    async def add_member(self, campaign_id: UUID | str, user_id: UUID | str) -> CampaignMember:
        """Let a client user see this campaign and its leads."""
        campaign = await self.get(campaign_id)
        row = {
            "campaign_id": campaign.id,
            "user_id": v.uuid_arg("user_id", user_id),
            "agency_id": campaign.agency_id,
        }
        rows = await self._backend.mutate(
            Insert("campaign_members", (row,), columns_of(CampaignMember))
        )
        return CampaignMember.model_validate(rows[0])

    async def remove_member(self, campaign_id: UUID | str, user_id: UUID | str) -> None:
        where = (
            eq("campaign_id", v.uuid_arg("campaign_id", campaign_id)),
            eq("user_id", v.uuid_arg("user_id", user_id)),
        )
        rows = await self._backend.mutate(Delete("campaign_members", where, ("user_id",)))
        if not rows:
            raise await self._unchanged(
                where,
                table="campaign_members",
                denied=f"not allowed to remove members of campaign {campaign_id}",
                absent=f"user {user_id} is not a member of campaign {campaign_id}",
            )
