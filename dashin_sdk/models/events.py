"""Typed realtime events, the same on both backends."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from dashin_sdk.models.tables import Notification, ScrapingJob


class JobEvent(BaseModel):
    """The job as it is now. ``kind`` is ``snapshot`` for the first event and after a resync."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["snapshot", "update"]
    job: ScrapingJob

    @property
    def is_terminal(self) -> bool:
        return self.job.status.is_terminal


class NotificationEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    notification: Notification
