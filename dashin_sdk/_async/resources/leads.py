"""``dx.leads``: the spec's /leads endpoints, batch upsert and scoring."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.page import AsyncPage
from dashin_sdk._async.resources._base import AsyncResource, found
from dashin_sdk.errors import NotFoundError, invalid_argument
from dashin_sdk.models._base import validate_input
from dashin_sdk.models.analytics import LeadRejection, LeadUpsertResult
from dashin_sdk.models.enums import LeadPriority, LeadStatus, QualificationStatus
from dashin_sdk.models.inputs import BulkLeadUpdate, LeadCreate, LeadUpdate
from dashin_sdk.models.tables import Lead, columns_of
from dashin_sdk.query import Condition, Insert, Rpc, Update, eq, is_in
from dashin_sdk.query import search as text_search

SORTABLE = (
    "created_at",
    "updated_at",
    "email",
    "last_name",
    "company",
    "status",
    "priority",
    "qualification_status",
    "last_contacted_at",
)
SEARCHED = ("first_name", "last_name", "email", "company")
UPSERT_BATCH = 1000  # records per upsert_leads call: one transaction, bounded memory


class AsyncLeads(AsyncResource):
    table = "leads"

    async def list(
        self,
        *,
        campaign_id: UUID | str | None = None,
        status: LeadStatus | str | None = None,
        qualification_status: QualificationStatus | str | None = None,
        priority: LeadPriority | str | None = None,
        assigned_to: UUID | str | None = None,
        search: str | None = None,
        page: int = 1,
        page_size: int = 20,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        agency_id: UUID | str | None = None,
    ) -> AsyncPage[Lead]:
        """``GET /leads``: filtered, searched (name, email, company), sorted, paged."""
        filters: builtins.list[Condition] = []
        if campaign_id is not None:
            filters.append(eq("campaign_id", v.uuid_arg("campaign_id", campaign_id)))
        if status is not None:
            filters.append(eq("status", v.enum_arg("status", LeadStatus, status)))
        if qualification_status is not None:
            filters.append(
                eq(
                    "qualification_status",
                    v.enum_arg("qualification_status", QualificationStatus, qualification_status),
                )
            )
        if priority is not None:
            filters.append(eq("priority", v.enum_arg("priority", LeadPriority, priority)))
        if assigned_to is not None:
            filters.append(eq("assigned_to", v.uuid_arg("assigned_to", assigned_to)))
        if search:
            filters.append(text_search(SEARCHED, v.text_arg("search", search)))
        return await self._list_page(
            Lead, filters, page, page_size, (sort_by, sort_order, SORTABLE), agency_id
        )

    async def get(self, lead_id: UUID | str) -> Lead:
        return await self._get(Lead, v.uuid_arg("lead_id", lead_id))

    async def create(self, **fields: Any) -> Lead:
        """``POST /leads/create``. A duplicate email in the agency is a ConflictError."""
        payload = validate_input(LeadCreate, fields).to_payload()
        rows = await self._backend.mutate(Insert(self.table, (payload,), columns_of(Lead)))
        return Lead.model_validate(rows[0])

    async def update(self, lead_id: UUID | str, **fields: Any) -> Lead:
        payload = validate_input(LeadUpdate, fields).to_payload()
        return await self._update(Lead, v.uuid_arg("lead_id", lead_id), payload)

    async def delete(self, lead_id: UUID | str) -> None:
        await self._delete(v.uuid_arg("lead_id", lead_id))

    async def qualify(
        self,
        lead_id: UUID | str,
        status: QualificationStatus | str = QualificationStatus.QUALIFIED,
        reason: str | None = None,
    ) -> Lead:
        """``POST /leads/:id/qualify``; the database stamps ``qualified_at``."""
        values: dict[str, Any] = {
            "qualification_status": v.enum_arg("status", QualificationStatus, status).value,
            "qualification_reason": reason,
        }
        return await self._update(Lead, v.uuid_arg("lead_id", lead_id), values)

    async def assign(self, lead_id: UUID | str, user_id: UUID | str | None) -> Lead:
        """``POST /leads/:id/assign`` (``None`` unassigns)."""
        values = {"assigned_to": v.optional_uuid("user_id", user_id)}
        return await self._update(Lead, v.uuid_arg("lead_id", lead_id), values)

    async def record_contact(
        self,
        lead_id: UUID | str,
        *,
        channel: str | None = None,
        note: str | None = None,
        responded: bool = False,
    ) -> Lead:
        """``POST /leads/:id/contact``: stamps contact times, moves new → contacted."""
        lead = v.uuid_arg("lead_id", lead_id)
        args = {
            "lead_id": lead,
            "channel": None if channel is None else v.text_arg("channel", channel),
            "note": None if note is None else v.text_arg("note", note, max_length=2000),
            "responded": bool(responded),
        }
        try:
            row = await self._backend.rpc(Rpc("record_lead_contact", args, shape="object"))
        except NotFoundError:
            # The function cannot tell "hidden" from "visible but not yours to change".
            raise await self._missing("update", lead) from None
        return Lead.model_validate(row)

    async def bulk_update(
        self,
        lead_ids: Iterable[UUID | str],
        *,
        status: LeadStatus | str | None = None,
        priority: LeadPriority | str | None = None,
        assigned_to: UUID | str | None = None,
    ) -> int:
        """``POST /leads/bulk-update``: one statement; returns how many leads changed."""
        ids = v.uuid_list("lead_ids", lead_ids)
        given = {"status": status, "priority": priority, "assigned_to": assigned_to}
        values = validate_input(
            BulkLeadUpdate, {k: x for k, x in given.items() if x is not None}
        ).to_payload()
        if not values:
            raise invalid_argument("updates", "give at least one of status, priority, assigned_to")
        rows = await self._backend.mutate(Update(self.table, values, (is_in("id", ids),), ("id",)))
        return len(rows)

    async def upsert_many(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        campaign_id: UUID | str | None = None,
        source: str | None = None,
        data_source_id: UUID | str | None = None,
        scraping_job_id: UUID | str | None = None,
        agency_id: UUID | str | None = None,
        batch_size: int = UPSERT_BATCH,
    ) -> LeadUpsertResult:
        """Insert new leads, fill empty fields of known ones, reject invalid records.

        Records go to ``upsert_leads`` in batches of ``batch_size`` (each batch one
        transaction); rejection indexes refer to positions in ``records``.
        """
        if batch_size < 1:
            raise invalid_argument("batch_size", "must be >= 1")
        common = {
            "campaign_id": v.optional_uuid("campaign_id", campaign_id),
            "source": source,
            "data_source_id": v.optional_uuid("data_source_id", data_source_id),
            "scraping_job_id": v.optional_uuid("scraping_job_id", scraping_job_id),
            "agency_id": v.optional_uuid("agency_id", agency_id),
        }
        totals = {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        rejections: builtins.list[LeadRejection] = []
        offset = 0
        batch: builtins.list[Any] = []
        for record in records:
            batch.append(dict(record) if isinstance(record, Mapping) else record)
            if len(batch) == batch_size:
                await self._upsert_batch(batch, offset, common, totals, rejections)
                offset += len(batch)
                batch = []
        if batch:
            await self._upsert_batch(batch, offset, common, totals, rejections)
        return LeadUpsertResult(**totals, rejections=rejections)

    async def _upsert_batch(
        self,
        batch: builtins.list[Any],
        offset: int,
        common: dict[str, Any],
        totals: dict[str, int],
        rejections: builtins.list[LeadRejection],
    ) -> None:
        rpc = Rpc("upsert_leads", {"records": batch, **common}, shape="object")
        result = LeadUpsertResult.model_validate(await self._backend.rpc(rpc))
        for key in totals:
            totals[key] += getattr(result, key)
        rejections.extend(
            LeadRejection(index=r.index + offset, reason=r.reason) for r in result.rejections
        )

    async def score(self, lead_id: UUID | str) -> int:
        """``calculate_lead_score``: 0-100, see the README's lead-score model."""
        args = {"lead_id": v.uuid_arg("lead_id", lead_id)}
        score = await self._backend.rpc(Rpc("calculate_lead_score", args, read_only=True))
        return int(found(score, f"lead {lead_id}"))
