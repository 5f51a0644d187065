"""``dx.notifications``: the caller's own notifications, and a live stream of new ones."""

from __future__ import annotations

import builtins
from collections.abc import AsyncGenerator, Iterable
from contextlib import aclosing
from datetime import datetime
from uuid import UUID

from dashin_sdk import validation as v
from dashin_sdk._async.page import AsyncPage
from dashin_sdk._async.resources._base import AsyncResource, record_of
from dashin_sdk.models.events import NotificationEvent
from dashin_sdk.models.tables import Notification, columns_of
from dashin_sdk.query import Condition, Filter, Order, Select, Update, eq, is_in


class AsyncNotifications(AsyncResource):
    table = "notifications"

    async def list(
        self, *, unread_only: bool = False, page: int = 1, page_size: int = 20
    ) -> AsyncPage[Notification]:
        """Newest first. RLS shows each user only their own."""
        page, page_size = v.page_args(page, page_size)
        where = self._own()
        if unread_only:
            where.append(eq("read", False))
        return await self._page(
            Notification, where, [Order("created_at", descending=True)], page, page_size
        )

    async def mark_read(self, ids: Iterable[UUID | str]) -> int:
        """Mark these notifications read; returns how many changed."""
        wanted = v.uuid_list("ids", ids)
        rows = await self._backend.mutate(
            Update(self.table, {"read": True}, (is_in("id", wanted), eq("read", False)), ("id",))
        )
        return len(rows)

    async def stream(self) -> AsyncGenerator[NotificationEvent, None]:
        """Yield each new notification as it arrives (forever; break to stop).

        After a reconnect, notifications created while disconnected are read and yielded,
        in order, before live ones.
        """
        seen: set[UUID] = set()
        since: datetime | None = None
        # Start from now: what existed before the stream opened is not replayed. Read "now"
        # before subscribing, so one created in between is caught by the first resync
        # rather than mistaken for an old one.
        latest = await self._latest()
        if latest is not None:
            since = latest.created_at
            seen.add(latest.id)
        signals = self._backend.changes("notifications")
        async with aclosing(signals):
            async for signal in signals:
                record = record_of(signal, Notification)
                fresh = [record] if record is not None else await self._since(since)
                for notification in fresh:
                    if notification.id in seen:
                        continue
                    seen.add(notification.id)
                    if since is None or notification.created_at > since:
                        since = notification.created_at
                    yield NotificationEvent(notification=notification)

    def _own(self) -> builtins.list[Condition]:
        """The caller's own notifications (RLS says so too; saying it uses the index)."""
        user_id = self._backend.identity.user_id
        return [] if user_id is None else [eq("user_id", user_id)]

    async def _latest(self) -> Notification | None:
        newest_first = (Order("created_at", descending=True), Order("id", descending=True))
        found = await self._select(tuple(self._own()), newest_first, limit=1)
        return found[0] if found else None

    async def _since(self, since: datetime | None) -> builtins.list[Notification]:
        where = self._own()
        if since is not None:
            where.append(Filter("created_at", "gte", since))
        return await self._select(tuple(where), (Order("created_at"),), limit=500)

    async def _select(
        self, where: tuple[Condition, ...], order: tuple[Order, ...], *, limit: int
    ) -> builtins.list[Notification]:
        query = Select(self.table, columns_of(Notification), where, order, limit=limit)
        rows = (await self._backend.select(query)).rows
        return [Notification.model_validate(row) for row in rows]
